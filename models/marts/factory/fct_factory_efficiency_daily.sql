-- Each machine's output and efficiency per day: units an hour against its rated units an hour
-- (the degrading smelter's decay shows as a falling `efficiency`, a service as a jump back), the
-- share of defective units, and energy per good unit.
with daily as (
    select
        batches.day_serial,
        batches.machine_id,
        machines.machine_code,
        count(*) as batches,
        sum(batches.units_produced) as units_produced,
        sum(batches.units_defective) as units_defective,
        cast(sum(batches.hours) as numeric) as hours,
        cast(sum(batches.energy_kwh) as numeric) as energy_kwh,
        cast(max(machines.base_rate_per_hour) as numeric) as base_rate_per_hour
    from {{ ref('fct_factory_batches') }} as batches
    inner join {{ ref('dim_factory_machines') }} as machines
        on machines.machine_sk = batches.machine_sk
    group by 1, 2, 3
)

select
    day_serial,
    machine_id,
    machine_code,
    batches,
    units_produced,
    units_defective,
    round(units_produced / nullif(hours, 0), 2) as units_per_hour,
    round(units_produced / nullif(hours, 0) / base_rate_per_hour, 4) as efficiency,
    round(units_defective / nullif(cast(units_produced as numeric), 0), 4) as defect_rate,
    round(energy_kwh / nullif(units_produced - units_defective, 0), 4) as kwh_per_good_unit
from daily
