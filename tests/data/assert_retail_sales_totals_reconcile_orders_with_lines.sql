-- Sales totals reconcile, orders against their lines: every order has the lines its header
-- counts and a subtotal equal to their totals, and each day's revenue in the sales marts equals
-- that day's order subtotals. A staging model that drops or doubles lines, or a mart that loses
-- late orders, returns rows here.
with lines as (
    select order_id, count(*) as lines, sum(line_total_cents) as line_totals
    from {{ ref('stg_uxc__retail_order_lines') }}
    group by 1
),

orders as (
    select day_serial, sum(subtotal_cents) as subtotal_cents
    from {{ ref('stg_uxc__retail_orders') }}
    group by 1
),

daily as (
    select day_serial, sum(revenue_cents) as revenue_cents
    from {{ ref('fct_retail_daily_sales') }}
    group by 1
),

monthly as (
    select ux_month, sum(revenue_cents) as revenue_cents
    from {{ ref('fct_retail_monthly_sales_by_category') }}
    group by 1
)

select
    'order' as level,
    orders.order_id as id,
    cast(orders.line_count as bigint) as expected,
    cast(coalesce(lines.lines, 0) as bigint) as actual
from {{ ref('stg_uxc__retail_orders') }} as orders
left join lines
    on lines.order_id = orders.order_id
where lines.order_id is null
    or lines.lines <> orders.line_count
    or lines.line_totals <> orders.subtotal_cents

union all

select 'orphan line' as level, lines.order_id as id, 0 as expected, lines.lines as actual
from lines
where not exists (
    select 1 from {{ ref('stg_uxc__retail_orders') }} as orders where orders.order_id = lines.order_id
)

union all

select
    'day' as level,
    orders.day_serial as id,
    cast(orders.subtotal_cents as bigint) as expected,
    cast(coalesce(daily.revenue_cents, 0) as bigint) as actual
from orders
left join daily
    on daily.day_serial = orders.day_serial
where coalesce(daily.revenue_cents, 0) <> orders.subtotal_cents

union all

select
    'month' as level,
    {{ ux_year_month('orders.day_serial') }} as id,
    cast(sum(orders.subtotal_cents) as bigint) as expected,
    cast(max(monthly.revenue_cents) as bigint) as actual
from orders
left join monthly
    on monthly.ux_month = {{ ux_year_month('orders.day_serial') }}
group by 1, 2
having coalesce(max(monthly.revenue_cents), 0) <> sum(orders.subtotal_cents)
