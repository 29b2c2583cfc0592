-- Closing stock per day, store and product, beside the day's units sold and whether the shelf
-- was empty at closing. Incremental: the stock count arrives once and on time, so each build
-- appends the days counted since the last one.
{{ config(materialized='incremental', unique_key=['day_serial', 'store_id', 'product_id']) }}

with counts as (
    select *
    from {{ ref('stg_uxc__retail_inventory') }}
    {% if is_incremental() %}
    where day_serial > (select max(day_serial) from {{ this }})
    {% endif %}
)

select
    counts.day_serial,
    counts.store_id,
    counts.product_id,
    counts.on_hand_units,
    counts.on_order_units,
    coalesce(sales.quantity, 0) as units_sold,
    counts.on_hand_units = 0 as out_of_stock
from counts
left join {{ ref('fct_retail_daily_sales') }} as sales
    on sales.day_serial = counts.day_serial
    and sales.store_id = counts.store_id
    and sales.product_id = counts.product_id
