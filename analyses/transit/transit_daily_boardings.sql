-- Boardings each day by line, with the line's code for a readable legend.
select
    daily.day_serial,
    lines.line_code,
    daily.boardings,
    daily.transfers,
    daily.fare_cents / 100.0 as fares
from {{ ref('fct_transit_daily_boardings') }} as daily
inner join {{ ref('stg_uxc__transit_lines') }} as lines on lines.line_id = daily.line_id
