{% snapshot factory_machines_snapshot %}
{{ config(unique_key='machine_id', strategy='check', check_cols=['firmware', 'base_rate_per_hour']) }}
-- Firmware updates at maintenance change machines in place; the history keeps every version.
select machine_id, machine_code, machine_type, base_rate_per_hour, firmware
from {{ source('uxc', 'factory_machines') }}
{% endsnapshot %}
