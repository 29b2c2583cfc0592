-- UXFSI's loan book at the end of each month (its 30th), the grain of
-- `truth.retail_loans_monthly`: loans active then and what they owe (the balance after the last
-- installment due by then, the principal before the first), and the month's new, repaid and
-- defaulted loans (a written-off loan counts as defaulted) with what the defaulted ones owed.
-- Checked against the truth by `assert_fct_retail_loans_monthly_matches_truth`.
with months as (
    select distinct
        {{ ux_year_month('day_serial') }} as ux_month,
        {{ last_day_of_ux_month(ux_year_month('day_serial')) }} as last_day
    from {{ source('uxc', 'calendar_days') }}
),

loans as (
    select * from {{ ref('stg_uxc__retail_loans') }}
),

last_installment as (
    -- The balance after each loan's last installment due by each month's end.
    select
        ux_month,
        loan_id,
        balance_cents
    from (
        select
            months.ux_month,
            payments.loan_id,
            payments.balance_cents,
            row_number() over (
                partition by months.ux_month, payments.loan_id order by payments.due_day desc
            ) as latest
        from months
        inner join {{ ref('stg_uxc__retail_loan_payments') }} as payments
            on payments.due_day <= months.last_day
    ) as installments
    where latest = 1
),

owed as (
    select
        months.ux_month,
        loans.status,
        coalesce(last_installment.balance_cents, loans.principal_cents) as balance_cents,
        loans.ended_day is null or loans.ended_day > months.last_day as active,
        coalesce(loans.ended_day > months.last_day - 30 and loans.ended_day <= months.last_day, false)
            as ended_in_month,
        loans.start_day > months.last_day - 30 as started_in_month
    from months
    inner join loans
        on loans.start_day <= months.last_day
    left join last_installment
        on last_installment.ux_month = months.ux_month
        and last_installment.loan_id = loans.loan_id
)

select
    months.ux_month,
    sum(case when owed.active then 1 else 0 end) as active_loans,
    coalesce(sum(case when owed.active then owed.balance_cents else 0 end), 0) as balance_cents,
    sum(case when owed.started_in_month then 1 else 0 end) as originated,
    sum(case when owed.ended_in_month and owed.status = 'repaid' then 1 else 0 end) as repaid,
    sum(case when owed.ended_in_month and owed.status <> 'repaid' then 1 else 0 end) as defaulted,
    coalesce(
        sum(case when owed.ended_in_month and owed.status <> 'repaid' then owed.balance_cents else 0 end),
        0
    ) as defaulted_cents
from months
left join owed
    on owed.ux_month = months.ux_month
group by 1
