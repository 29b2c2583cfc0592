-- The factory's products, keyed by `product_id`.
select product_id, product_name, tier, input_ratio
from {{ ref('stg_uxc__factory_products') }}
