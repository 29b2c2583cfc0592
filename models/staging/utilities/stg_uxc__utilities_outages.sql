-- Power outages, one row per outage (a duplicate delivery dropped, the first kept; late ones kept).
with deliveries as (
    select
        outages.*,
        row_number() over (partition by outage_id order by _delivered_day) as delivery
    from {{ source('uxc', 'utilities_outages') }} as outages
)

select
    outage_id,
    district_id,
    cause,
    started_at,
    ended_at,
    {{ day_serial_of('started_at') }} as day_serial,
    {{ int_div(seconds_between('started_at', 'ended_at'), 60) }} as minutes,
    meters_affected,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
