-- The plan cube: claims, members with a claim and money per service month, plan and metal tier.
select
    claims.ux_month,
    plans.plan_id,
    plans.metal_tier,
    count(*) as claims,
    count(distinct members.member_id) as members_with_claims,
    sum(case when claims.status = 'DENIED' then 1 else 0 end) as denied_claims,
    sum(claims.billed_cents) as billed_cents,
    sum(claims.allowed_cents) as allowed_cents,
    sum(claims.paid_cents) as paid_cents,
    sum(claims.member_resp_cents) as member_resp_cents
from {{ ref('fct_health_claims') }} as claims
inner join {{ ref('dim_health_plans') }} as plans
    on plans.plan_sk = claims.plan_sk
inner join {{ ref('dim_health_members') }} as members
    on members.member_sk = claims.member_sk
group by 1, 2, 3
