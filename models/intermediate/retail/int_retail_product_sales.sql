-- Every order line beside its order's day, store, channel and customer and its product's
-- category: the grain the sales marts aggregate from. `delivered_day` is when the feed brought
-- the line (an order and its lines travel together, so it is also the order's).
select
    lines.order_line_id,
    lines.order_id,
    orders.day_serial,
    orders.store_id,
    orders.channel,
    orders.customer_id,
    lines.product_id,
    products.category,
    lines.quantity,
    lines.line_total_cents,
    greatest(orders.delivered_day, lines.delivered_day) as delivered_day
from {{ ref('stg_uxc__retail_order_lines') }} as lines
inner join {{ ref('stg_uxc__retail_orders') }} as orders
    on orders.order_id = lines.order_id
left join {{ ref('stg_uxc__retail_products') }} as products
    on products.product_id = lines.product_id
