-- Machines as a slowly changing (type 2) dimension: one row per firmware version from the
-- machines' snapshot, keyed by `machine_sk`.
select
    dbt_scd_id as machine_sk,
    machine_id,
    machine_code,
    machine_type,
    base_rate_per_hour,
    firmware,
    {{ scd2_days('machine_id') }}
from {{ ref('factory_machines_snapshot') }}
