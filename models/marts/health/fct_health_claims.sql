-- The claims fact: one row per claim in its final version, with the surrogate keys of the
-- member's and the plan's versions valid on the service day, the provider and the service day
-- (the date dimension is `ref_calendar`).
with claims as (
    select * from {{ ref('stg_uxc__health_claims') }}
)

select
    claims.claim_id,
    members.member_sk,
    plans.plan_sk,
    claims.provider_id,
    claims.service_day,
    claims.ux_month,
    claims.received_day,
    claims.lag_days,
    claims.diagnosis_code,
    claims.status,
    claims.is_readjudicated,
    claims.billed_cents,
    claims.allowed_cents,
    claims.paid_cents,
    claims.member_resp_cents
from claims
left join {{ ref('dim_health_members') }} as members
    on members.member_id = claims.member_id
    and members.effective_from_day <= claims.service_day
    and (members.valid_to_day is null or members.valid_to_day > claims.service_day)
left join {{ ref('dim_health_plans') }} as plans
    on plans.plan_id = claims.plan_id
    and plans.effective_from_day <= claims.service_day
    and (plans.valid_to_day is null or plans.valid_to_day > claims.service_day)
