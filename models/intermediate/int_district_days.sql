-- Every district on every day of the horizon; inlined into its users as a CTE.
select
    districts.district_id,
    districts.zone,
    calendar.day_serial,
    calendar.ux_date,
    calendar.season,
    calendar.is_business_day
from {{ ref('stg_districts') }} as districts
cross join {{ ref('ref_calendar') }} as calendar
where calendar.day_serial < {{ var('horizon_days') }}
