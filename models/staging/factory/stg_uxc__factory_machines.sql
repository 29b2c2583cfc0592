-- The plant's machines as listed today (the snapshot `factory_machines_snapshot` keeps history).
select
    machine_id,
    machine_code,
    machine_type,
    production_line,
    base_rate_per_hour,
    kwh_per_unit,
    firmware
from {{ source('uxc', 'factory_machines') }}
