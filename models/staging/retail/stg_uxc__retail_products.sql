-- The product catalogue with today's list price (the snapshot `retail_products_snapshot` keeps
-- the price history). Its names are the canonical ones the order lines are mapped to.
select
    product_id,
    sku,
    product_name,
    category,
    list_price_cents,
    updated_day as price_since_day
from {{ source('uxc', 'retail_products') }}
