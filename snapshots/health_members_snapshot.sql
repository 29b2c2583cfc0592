{% snapshot health_members_snapshot %}
{{ config(unique_key='member_id', strategy='timestamp', updated_at='updated_at') }}
-- Members change plan at open enrolment and lapse or die; the snapshot keeps every version
-- from the simulated day it was recorded.
select member_id, ux_id, subscriber_member_id, relationship, plan_id, status,
    {{ simulated_time('updated_day') }} as updated_at
from {{ source('uxc', 'health_members') }}
{% endsnapshot %}
