-- The batch fact: one row per batch (de-duplicated, late ones kept, plant clocks in UTC), with
-- the machine version it ran on, hours run and units an hour.
select
    batches.batch_id,
    machines.machine_sk,
    batches.machine_id,
    batches.product_id,
    batches.day_serial,
    batches.started_at,
    batches.ended_at,
    {{ seconds_between('batches.started_at', 'batches.ended_at') }} / 3600.0 as hours,
    batches.units_produced,
    batches.units_defective,
    batches.energy_kwh,
    batches.operator_id
from {{ ref('stg_uxc__factory_batches') }} as batches
left join {{ ref('dim_factory_machines') }} as machines
    on machines.machine_id = batches.machine_id
    and machines.effective_from_day <= batches.day_serial
    and (machines.valid_to_day is null or machines.valid_to_day > batches.day_serial)
