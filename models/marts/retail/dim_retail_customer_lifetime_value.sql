-- Each loyalty customer's value to date: orders, what they spent before tax, what was refunded,
-- and their first and last order days.
with totals as (
    select
        customer_id,
        sum(case when kind = 'sale' then 1 else 0 end) as orders,
        sum(case when kind = 'sale' then amount_cents else 0 end) as gross_cents,
        -sum(case when kind = 'refund' then amount_cents else 0 end) as refunded_cents,
        min(case when kind = 'sale' then day_serial end) as first_order_day,
        max(case when kind = 'sale' then day_serial end) as last_order_day
    from {{ ref('int_retail_customer_transactions') }}
    group by 1
)

select
    customers.customer_id,
    coalesce(totals.orders, 0) as orders,
    coalesce(totals.gross_cents, 0) as gross_cents,
    coalesce(totals.refunded_cents, 0) as refunded_cents,
    coalesce(totals.gross_cents, 0) - coalesce(totals.refunded_cents, 0) as net_cents,
    totals.first_order_day,
    totals.last_order_day
from {{ ref('stg_uxc__retail_customers') }} as customers
left join totals
    on totals.customer_id = customers.customer_id
