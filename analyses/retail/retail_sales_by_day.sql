-- Sales each day by store and product category, in pounds rather than cents.
select
    sales.day_serial,
    {{ ux_year_month('sales.day_serial') }} as ux_month,
    stores.store_name,
    stores.store_format,
    products.category,
    sum(sales.orders) as orders,
    sum(sales.quantity) as units,
    sum(sales.revenue_cents) / 100.0 as revenue
from {{ ref('fct_retail_daily_sales') }} as sales
inner join {{ ref('stg_uxc__retail_stores') }} as stores on stores.store_id = sales.store_id
inner join {{ ref('stg_uxc__retail_products') }} as products on products.product_id = sales.product_id
group by 1, 2, 3, 4, 5
