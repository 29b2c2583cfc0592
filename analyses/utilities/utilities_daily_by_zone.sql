-- Consumption each day by zone of the town: power in kWh, water in cubic metres.
select
    daily.day_serial,
    daily.kind,
    districts.zone,
    sum(daily.consumption) / 1000.0 as consumption
from {{ ref('fct_utilities_daily') }} as daily
inner join {{ ref('stg_districts') }} as districts on districts.district_id = daily.district_id
group by 1, 2, 3
