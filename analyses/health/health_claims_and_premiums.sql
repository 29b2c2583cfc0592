-- Premiums collected and claims incurred per service month and plan: premiums are the plan's
-- monthly premium for every enrollment active on the month's last day.
with months as (
    select ux_month, last_service_day, plan_id, claims, denied_claims, incurred_cents
    from {{ ref('fct_health_claims_monthly') }}
),

members as (
    select months.ux_month, months.plan_id, count(enrollments.enrollment_id) as members
    from months
    left join {{ ref('stg_uxc__health_enrollments') }} as enrollments
        on enrollments.plan_id = months.plan_id
        and enrollments.start_day <= months.last_service_day
        and (enrollments.end_day is null or enrollments.end_day > months.last_service_day)
    group by 1, 2
)

select
    cast(months.ux_month as varchar) as ux_month,
    plans.plan_name,
    plans.metal_tier,
    members.members,
    months.claims,
    months.denied_claims,
    members.members * plans.monthly_premium_cents / 100.0 as premiums,
    months.incurred_cents / 100.0 as claims_incurred
from months
inner join members on members.ux_month = months.ux_month and members.plan_id = months.plan_id
inner join {{ ref('stg_uxc__health_plans') }} as plans on plans.plan_id = months.plan_id
