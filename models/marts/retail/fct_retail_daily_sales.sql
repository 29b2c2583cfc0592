-- Gross sales per order day, store and product (returns not deducted), the grain of
-- `truth.retail_daily_sales`: `orders` counts orders with a line of the product (a product
-- appears once per order), `quantity` units and `revenue_cents` line totals before tax.
-- Checked against the simulator's truth by `assert_fct_retail_daily_sales_matches_truth`.
select
    orders.day_serial,
    orders.store_id,
    lines.product_id,
    count(distinct orders.order_id) as orders,
    sum(lines.quantity) as quantity,
    sum(lines.line_total_cents) as revenue_cents,
    max(orders.delivered_day) as last_delivered_day
from {{ ref('stg_uxc__retail_order_lines') }} as lines
inner join {{ ref('stg_uxc__retail_orders') }} as orders
    on orders.order_id = lines.order_id
group by 1, 2, 3
