-- Gross sales per month, store and product category, from the daily sales mart.
select
    {{ ux_year_month('sales.day_serial') }} as ux_month,
    sales.store_id,
    products.category,
    sum(sales.orders) as order_lines,
    sum(sales.quantity) as quantity,
    sum(sales.revenue_cents) as revenue_cents
from {{ ref('fct_retail_daily_sales') }} as sales
inner join {{ ref('stg_uxc__retail_products') }} as products
    on products.product_id = sales.product_id
group by 1, 2, 3
