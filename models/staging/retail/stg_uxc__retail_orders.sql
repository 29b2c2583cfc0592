-- Orders, one row per order: a second delivery of the same order is dropped (the first kept);
-- late orders are kept, they simply arrive with a later `delivered_day`.
with deliveries as (
    select
        orders.*,
        row_number() over (partition by order_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_orders') }} as orders
)

select
    order_id,
    customer_id,
    store_id,
    channel,
    ordered_at,
    day_serial,
    line_count,
    subtotal_cents,
    tax_cents,
    total_cents,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
