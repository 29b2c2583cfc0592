-- Boardings per day and line, the grain of `truth.transit_daily_boardings`: every line on every
-- day the trips feed covers, with zero where nobody boarded. Transfers (fare 0) count as
-- boardings, as every tap does. Checked by `assert_fct_transit_daily_boardings_matches_truth`.
with days as (
    select day_serial from {{ ref('stg_uxc__transit_trips') }}
    union
    select day_serial from {{ ref('stg_uxc__transit_boardings') }}
),

line_days as (
    select days.day_serial, lines.line_id
    from days
    cross join {{ ref('stg_uxc__transit_lines') }} as lines
),

boardings as (
    select
        day_serial,
        line_id,
        count(*) as boardings,
        sum(case when is_transfer then 1 else 0 end) as transfers,
        sum(fare_cents) as fare_cents,
        max(delivered_day) as last_delivered_day
    from {{ ref('stg_uxc__transit_boardings') }}
    group by 1, 2
)

select
    line_days.day_serial,
    line_days.line_id,
    coalesce(boardings.boardings, 0) as boardings,
    coalesce(boardings.transfers, 0) as transfers,
    coalesce(boardings.fare_cents, 0) as fare_cents,
    boardings.last_delivered_day
from line_days
left join boardings
    on boardings.day_serial = line_days.day_serial
    and boardings.line_id = line_days.line_id
