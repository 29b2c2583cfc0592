-- Every installment due, one row per loan_payment_id (the first delivery of a duplicate kept,
-- late ones kept): paid, or missed with nothing paid.
with deliveries as (
    select
        payments.*,
        row_number() over (partition by loan_payment_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_loan_payments') }} as payments
)

select
    loan_payment_id,
    loan_id,
    due_day,
    status,
    amount_cents,
    interest_cents,
    principal_cents,
    balance_cents,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
