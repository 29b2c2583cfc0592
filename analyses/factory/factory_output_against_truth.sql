-- Units the factory mart reports each day beside the simulator's clean truth: the two lines
-- meet once de-duplication, late rows and local plant time are handled.
with reported as (
    select day_serial, sum(units_produced) as units
    from {{ ref('fct_factory_daily') }}
    group by 1
),

truth as (
    select day_serial, sum(units_produced) as units
    from {{ source('uxc_truth', 'factory_daily') }}
    group by 1
)

select
    truth.day_serial,
    coalesce(reported.units, 0) as reported_units,
    truth.units as true_units
from truth
left join reported on reported.day_serial = truth.day_serial
