-- The loan book mart equals the simulator's month-end truth exactly, for every month whose
-- installments have all arrived (they are late by up to two days). A duplicated installment
-- counted twice, or a late one missed, moves the balance; reading the loans' status without
-- the day it changed miscounts the active loans of every earlier month.
with settled as (
    select max(_delivered_day) - 2 as last_day
    from {{ source('uxc', 'retail_loan_payments') }}
),

truth as (
    select *
    from {{ source('uxc_truth', 'retail_loans_monthly') }}
    where {{ last_day_of_ux_month('ux_month') }} <= (select last_day from settled)
)

select
    truth.ux_month,
    truth.active_loans,
    mart.active_loans as mart_active_loans,
    truth.balance_cents,
    mart.balance_cents as mart_balance_cents
from truth
left join {{ ref('fct_retail_loans_monthly') }} as mart
    on mart.ux_month = truth.ux_month
where mart.ux_month is null
    or mart.active_loans <> truth.active_loans
    or mart.balance_cents <> truth.balance_cents
    or mart.originated <> truth.originated
    or mart.repaid <> truth.repaid
    or mart.defaulted <> truth.defaulted
    or mart.defaulted_cents <> truth.defaulted_cents
