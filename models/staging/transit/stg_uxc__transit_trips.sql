-- Bus trips, one row per trip (a duplicate delivery dropped, the first kept; late trips kept),
-- with the delays at departure and arrival in seconds.
with deliveries as (
    select
        trips.*,
        row_number() over (partition by trip_id order by _delivered_day) as delivery
    from {{ source('uxc', 'transit_trips') }} as trips
)

select
    trip_id,
    line_id,
    vehicle_id,
    direction,
    day_serial,
    scheduled_departure,
    actual_departure,
    scheduled_arrival,
    actual_arrival,
    {{ seconds_between('scheduled_departure', 'actual_departure') }} as departure_delay_seconds,
    {{ seconds_between('scheduled_arrival', 'actual_arrival') }} as arrival_delay_seconds,
    delay_cause,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
