-- The member cube: each member's claims and what they and the plan paid, per service month.
select
    claims.ux_month,
    members.member_id,
    count(*) as claims,
    sum(claims.paid_cents) as paid_cents,
    sum(claims.member_resp_cents) as member_resp_cents
from {{ ref('fct_health_claims') }} as claims
inner join {{ ref('dim_health_members') }} as members
    on members.member_sk = claims.member_sk
group by 1, 2
