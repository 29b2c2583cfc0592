-- What the plant makes, with the key every spelling of a product name reduces to.
select
    product_id,
    canonical_name as product_name,
    tier,
    input_ratio,
    {{ product_key('canonical_name') }} as product_key
from {{ source('uxc', 'factory_products') }}
