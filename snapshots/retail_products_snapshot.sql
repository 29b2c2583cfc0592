{% snapshot retail_products_snapshot %}
{{ config(unique_key='product_id', strategy='check', check_cols=['list_price_cents']) }}
-- Prices drift: a price change replaces the catalogue row, the snapshot keeps every price.
select product_id, sku, product_name, category, list_price_cents, updated_day
from {{ source('uxc', 'retail_products') }}
{% endsnapshot %}
