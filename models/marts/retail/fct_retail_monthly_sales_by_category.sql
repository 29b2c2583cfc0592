-- Gross sales per month, store and product category.
select
    {{ ux_year_month('day_serial') }} as ux_month,
    store_id,
    category,
    count(*) as order_lines,
    sum(quantity) as quantity,
    sum(line_total_cents) as revenue_cents
from {{ ref('int_retail_product_sales') }}
group by 1, 2, 3
