-- Daily production per machine and product, by the UTC day each batch started: the figure the
-- plant reports, checked against the simulator's truth by `assert_factory_daily_matches_truth`.
select
    batches.day_serial,
    batches.machine_id,
    batches.product_id,
    count(*) as batches,
    sum(batches.units_produced) as units_produced,
    sum(batches.units_defective) as units_defective,
    sum(batches.energy_kwh) as energy_kwh,
    max(batches.delivered_day) as last_delivered_day
from {{ ref('stg_uxc__factory_batches') }} as batches
group by 1, 2, 3
