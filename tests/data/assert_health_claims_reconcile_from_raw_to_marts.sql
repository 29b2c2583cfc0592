-- Every claim in the raw feed reaches the claims fact once, and the plan and member cubes add up
-- to the fact: row counts reconcile from raw to marts.
with counts as (
    select
        (select count(distinct claim_id) from {{ source('uxc', 'health_claims') }}) as raw_claims,
        (select count(*) from {{ ref('fct_health_claims') }}) as fact_claims,
        (select sum(claims) from {{ ref('agg_health_plan_monthly') }}) as plan_cube_claims,
        (select sum(claims) from {{ ref('agg_health_member_monthly') }}) as member_cube_claims,
        (select sum(claims) from {{ ref('fct_health_claims_monthly') }}) as monthly_mart_claims
)

select *
from counts
where fact_claims <> raw_claims
    or plan_cube_claims <> raw_claims
    or member_cube_claims <> raw_claims
    or monthly_mart_claims <> raw_claims
