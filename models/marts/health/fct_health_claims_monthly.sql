-- Claims incurred per service month and plan, the grain of `truth.health_claims_monthly`: every
-- plan in every service month seen so far (zero where none), counting each claim once in its
-- latest version (denied included) and summing what the plan paid. Recent months grow as late
-- claims arrive; `last_received_day` shows how far the feed has come.
-- Checked by `assert_fct_health_claims_monthly_matches_truth`.
with claims as (
    select * from {{ ref('stg_uxc__health_claims') }}
),

months as (
    select distinct ux_month from claims
),

spine as (
    select
        months.ux_month,
        {{ last_day_of_ux_month('months.ux_month') }} as last_service_day,
        plans.plan_id
    from months
    cross join {{ ref('stg_uxc__health_plans') }} as plans
),

monthly as (
    select
        ux_month,
        plan_id,
        count(*) as claims,
        sum(case when status = 'DENIED' then 1 else 0 end) as denied_claims,
        sum(billed_cents) as billed_cents,
        sum(allowed_cents) as allowed_cents,
        sum(paid_cents) as incurred_cents,
        sum(member_resp_cents) as member_resp_cents,
        max(received_day) as last_received_day
    from claims
    group by 1, 2
)

select
    spine.ux_month,
    spine.last_service_day,
    spine.plan_id,
    coalesce(monthly.claims, 0) as claims,
    coalesce(monthly.denied_claims, 0) as denied_claims,
    coalesce(monthly.billed_cents, 0) as billed_cents,
    coalesce(monthly.allowed_cents, 0) as allowed_cents,
    coalesce(monthly.incurred_cents, 0) as incurred_cents,
    coalesce(monthly.member_resp_cents, 0) as member_resp_cents,
    monthly.last_received_day
from spine
left join monthly
    on monthly.ux_month = spine.ux_month
    and monthly.plan_id = spine.plan_id
