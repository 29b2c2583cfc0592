-- One row per simulated day: the Uxcestershire date beside its proxy Gregorian date.
{% set days = var('calendar_years') * 360 %}
with serials as (
    select cast(day_serial as integer) as day_serial
    from generate_series(0, {{ days - 1 }}) as days (day_serial)
)

select
    day_serial,
    {{ ux_date('day_serial') }} as ux_date,
    {{ ux_year('day_serial') }} as ux_year,
    {{ ux_month('day_serial') }} as ux_month,
    {{ ux_day('day_serial') }} as ux_day,
    -- Day 0 was a Friday; 0 = Monday.
    (day_serial + 4) % 7 as weekday,
    case
        when {{ ux_month('day_serial') }} in (12, 1, 2) then 'winter'
        when {{ ux_month('day_serial') }} in (3, 4, 5) then 'spring'
        when {{ ux_month('day_serial') }} in (6, 7, 8) then 'summer'
        else 'autumn'
    end as season,
    (day_serial + 4) % 7 < 5 as is_business_day,
    {{ proxy_date('day_serial') }} as proxy_date
from serials
