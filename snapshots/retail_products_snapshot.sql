{% snapshot retail_products_snapshot %}
{{ config(unique_key='product_id', strategy='timestamp', updated_at='updated_at') }}
-- Prices drift: a price change replaces the catalogue row, the snapshot keeps every price, each
-- from the simulated day it was set.
select product_id, sku, product_name, category, list_price_cents, updated_day,
    {{ simulated_time('updated_day') }} as updated_at
from {{ source('uxc', 'retail_products') }}
{% endsnapshot %}
