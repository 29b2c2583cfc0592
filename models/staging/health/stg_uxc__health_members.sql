-- Insured members as they stand today; terminated members keep their last row, so every
-- claim's member is here.
select
    member_id,
    ux_id,
    subscriber_member_id,
    relationship,
    plan_id,
    status,
    updated_day
from {{ source('uxc', 'health_members') }}
