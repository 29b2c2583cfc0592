-- What happened in each web session, one row per event_id: an event travels with its session
-- through the feed, so a duplicated session brings its events twice (the first kept).
with deliveries as (
    select
        events.*,
        row_number() over (partition by event_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_web_events') }} as events
)

select
    event_id,
    session_id,
    event_at,
    event_type,
    product_id,
    quantity,
    order_id,
    in_stock = 1 as in_stock,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
