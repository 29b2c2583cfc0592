-- Card taps, one row per boarding (a duplicate delivery dropped, the first kept; late taps kept).
-- The validator's clock drifts by up to a few minutes per bus and day, so `boarded_at` is only
-- approximate; the day of the boarding is the feed's `day_serial`, never derived from the
-- drifting clock (a tap just before midnight could cross into the next day).
-- `is_settled`: the boarding's day is at least two days before the feed's last delivery, so all
-- of that day's taps and trips (late by at most two days) have arrived.
with deliveries as (
    select
        boardings.*,
        row_number() over (partition by boarding_id order by _delivered_day) as delivery,
        max(_delivered_day) over () as last_delivered_day
    from {{ source('uxc', 'transit_boardings') }} as boardings
)

select
    boarding_id,
    trip_id,
    line_id,
    stop_id,
    card_id,
    boarded_at,
    day_serial,
    fare_cents,
    fare_cents = 0 as is_transfer,
    _delivered_day as delivered_day,
    day_serial <= last_delivered_day - 2 as is_settled
from deliveries
where delivery = 1
