-- Daily weather per district, with the Uxcestershire date parts for joins to the calendar.
select
    day_serial,
    ux_date,
    district_id,
    temp_min_c,
    temp_max_c,
    (temp_min_c + temp_max_c) / 2 as temp_mean_c,
    precip_mm,
    wind_kph,
    lower(condition) as condition
from {{ source('uxc', 'weather_daily') }}
