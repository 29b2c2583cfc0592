-- Each loyalty customer's value to date: orders, what they spent before tax, what was refunded,
-- and their first and last order days.
with orders as (
    select
        customer_id,
        count(*) as orders,
        sum(subtotal_cents) as gross_cents,
        min(day_serial) as first_order_day,
        max(day_serial) as last_order_day
    from {{ ref('stg_uxc__retail_orders') }}
    where customer_id is not null
    group by 1
),

refunds as (
    select
        orders.customer_id,
        sum(returns.refund_cents) as refunded_cents
    from {{ ref('stg_uxc__retail_returns') }} as returns
    inner join {{ ref('stg_uxc__retail_orders') }} as orders
        on orders.order_id = returns.order_id
    where orders.customer_id is not null
    group by 1
)

select
    customers.customer_id,
    coalesce(orders.orders, 0) as orders,
    coalesce(orders.gross_cents, 0) as gross_cents,
    coalesce(refunds.refunded_cents, 0) as refunded_cents,
    coalesce(orders.gross_cents, 0) - coalesce(refunds.refunded_cents, 0) as net_cents,
    orders.first_order_day,
    orders.last_order_day
from {{ ref('stg_uxc__retail_customers') }} as customers
left join orders
    on orders.customer_id = customers.customer_id
left join refunds
    on refunds.customer_id = customers.customer_id
