-- One payment per order: duplicate deliveries dropped (the first kept), late ones kept.
with deliveries as (
    select
        payments.*,
        row_number() over (partition by payment_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_payments') }} as payments
)

select
    payment_id,
    order_id,
    payment_method,
    amount_cents,
    paid_at,
    {{ day_serial_of('paid_at') }} as day_serial,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
