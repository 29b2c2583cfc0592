-- Members as a slowly changing (type 2) dimension: one row per version from the members'
-- snapshot, keyed by `member_sk`; facts join the version valid on their day.
select
    dbt_scd_id as member_sk,
    member_id,
    ux_id,
    subscriber_member_id,
    relationship,
    plan_id,
    status,
    {{ scd2_days('member_id') }}
from {{ ref('health_members_snapshot') }}
