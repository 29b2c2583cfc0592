-- UXFSI's personal loans as the loan system holds them today: one row per loan, its status
-- and the day that status was recorded (the end of a repaid, defaulted or written-off loan).
select
    loan_id,
    customer_id,
    principal_cents,
    annual_rate_bp,
    term_months,
    monthly_payment_cents,
    start_day,
    status,
    case when status <> 'active' then updated_day end as ended_day
from {{ source('uxc', 'retail_loans') }}
