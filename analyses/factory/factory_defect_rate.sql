-- Defective units per hundred made, each day and product.
select
    daily.day_serial,
    products.product_name,
    100.0 * sum(daily.units_defective) / nullif(sum(daily.units_produced), 0) as defect_rate_pct
from {{ ref('fct_factory_daily') }} as daily
inner join {{ ref('stg_uxc__factory_products') }} as products
    on products.product_id = daily.product_id
group by 1, 2
