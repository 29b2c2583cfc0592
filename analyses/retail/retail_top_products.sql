-- Each product's sales over every day loaded.
select
    products.product_name,
    products.category,
    sum(sales.quantity) as units,
    sum(sales.revenue_cents) / 100.0 as revenue
from {{ ref('fct_retail_daily_sales') }} as sales
inner join {{ ref('stg_uxc__retail_products') }} as products on products.product_id = sales.product_id
group by 1, 2
