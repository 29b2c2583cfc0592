-- Order lines, one row per line (the first delivery of a duplicated line kept; late lines kept).
-- The till's or web shop's spelling of the product (`oat_milk`, `OAT MILK`, ` Oat Milk `,
-- `Oat Milks`) is replaced by the catalogue's name for the line's product_id; the name as typed
-- stays in `product_name_as_typed`.
with deliveries as (
    select
        order_lines.*,
        row_number() over (partition by order_line_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_order_lines') }} as order_lines
)

select
    lines.order_line_id,
    lines.order_id,
    lines.line_no,
    lines.product_id,
    products.product_name,
    lines.product_name as product_name_as_typed,
    lines.quantity,
    lines.unit_price_cents,
    lines.line_total_cents,
    lines._delivered_day as delivered_day
from deliveries as lines
left join {{ ref('stg_uxc__retail_products') }} as products
    on products.product_id = lines.product_id
where lines.delivery = 1
