-- Every Uxcestershire month has exactly 30 days.
select ux_year, ux_month, count(*) as days
from {{ ref('ref_calendar') }}
group by ux_year, ux_month
having count(*) <> 30
