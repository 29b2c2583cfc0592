{% snapshot factory_machines_snapshot %}
{{ config(unique_key='machine_id', strategy='timestamp', updated_at='updated_at') }}
-- Firmware updates at maintenance change machines in place; the history keeps every version,
-- each from the simulated day it was recorded.
select machine_id, machine_code, machine_type, base_rate_per_hour, firmware,
    {{ simulated_time('updated_day') }} as updated_at
from {{ source('uxc', 'factory_machines') }}
{% endsnapshot %}
