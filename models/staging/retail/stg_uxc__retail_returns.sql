-- Returned items, one row per return (duplicate deliveries dropped, the first kept; late ones
-- kept), dated by the day of the return, not of the order.
with deliveries as (
    select
        returns.*,
        row_number() over (partition by return_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_returns') }} as returns
)

select
    return_id,
    order_id,
    order_line_id,
    product_id,
    store_id,
    quantity,
    refund_cents,
    returned_at,
    day_serial,
    reason,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
