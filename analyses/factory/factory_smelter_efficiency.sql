-- Units per batch of each smelter each day: one smelter per line loses 2% a day until it is
-- serviced, and its line sags here before the output does.
select
    daily.day_serial,
    machines.machine_code,
    1.0 * sum(daily.units_produced) / nullif(sum(daily.batches), 0) as units_per_batch
from {{ ref('fct_factory_daily') }} as daily
inner join {{ ref('stg_uxc__factory_machines') }} as machines
    on machines.machine_id = daily.machine_id
where machines.machine_type = 'smelter'
group by 1, 2
