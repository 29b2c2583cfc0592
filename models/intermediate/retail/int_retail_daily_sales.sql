-- Gross sales per order day, store and product (returns not deducted), the grain of
-- `truth.retail_daily_sales`: `orders` counts orders with a line of the product (a product
-- appears once per order), `quantity` units and `revenue_cents` line totals before tax.
select
    day_serial,
    store_id,
    product_id,
    count(distinct order_id) as orders,
    sum(quantity) as quantity,
    sum(line_total_cents) as revenue_cents,
    max(delivered_day) as last_delivered_day
from {{ ref('int_retail_product_sales') }}
group by 1, 2, 3
