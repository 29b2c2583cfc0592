-- Boardings by line and hour of the day, over every day loaded: the commuter peaks.
select
    lines.line_code,
    cast(extract(hour from boardings.boarded_at) as integer) as hour_of_day,
    count(*) as boardings
from {{ ref('stg_uxc__transit_boardings') }} as boardings
inner join {{ ref('stg_uxc__transit_lines') }} as lines on lines.line_id = boardings.line_id
group by 1, 2
