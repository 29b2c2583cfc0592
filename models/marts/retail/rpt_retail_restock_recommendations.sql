-- What each store should order of each product after the last day counted: enough for two
-- weeks at the last four weeks' pace of sales, less what is on the shelves and on order.
{% set cover_days = 14 %}
{% set pace_days = 28 %}
with last_day as (
    select max(day_serial) as day_serial
    from {{ ref('fct_retail_inventory_levels') }}
),

pace as (
    select
        store_id,
        product_id,
        sum(units_sold) * 1.0 / {{ pace_days }} as units_per_day,
        sum(case when out_of_stock then 1 else 0 end) as days_out_of_stock
    from {{ ref('fct_retail_inventory_levels') }}
    where day_serial > (select day_serial from last_day) - {{ pace_days }}
    group by 1, 2
)

select
    levels.store_id,
    levels.product_id,
    products.product_name,
    products.category,
    levels.on_hand_units,
    levels.on_order_units,
    round(pace.units_per_day, 2) as units_per_day,
    pace.days_out_of_stock,
    case
        when pace.units_per_day > 0 then round(levels.on_hand_units / pace.units_per_day, 1)
    end as days_of_cover,
    greatest(
        cast(ceil(pace.units_per_day * {{ cover_days }}) as integer)
            - levels.on_hand_units
            - levels.on_order_units,
        0
    ) as recommended_units
from {{ ref('fct_retail_inventory_levels') }} as levels
inner join pace
    on pace.store_id = levels.store_id
    and pace.product_id = levels.product_id
inner join {{ ref('stg_uxc__retail_products') }} as products
    on products.product_id = levels.product_id
where levels.day_serial = (select day_serial from last_day)
