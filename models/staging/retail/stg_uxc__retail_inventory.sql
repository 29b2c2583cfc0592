-- The closing stock count of every product in every store (701: the web shop's warehouse),
-- each day. The feed arrives on time and once.
select
    day_serial,
    store_id,
    product_id,
    on_hand_units,
    on_order_units
from {{ source('uxc', 'retail_inventory') }}
