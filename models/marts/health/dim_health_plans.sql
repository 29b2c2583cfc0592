-- Plans as a slowly changing (type 2) dimension: one row per plan year's terms from the plans'
-- snapshot, keyed by `plan_sk`.
select
    dbt_scd_id as plan_sk,
    plan_id,
    plan_name,
    metal_tier,
    plan_year,
    monthly_premium_cents,
    deductible_cents,
    oop_max_cents,
    coinsurance_bp,
    {{ scd2_days('plan_id') }}
from {{ ref('health_plans_snapshot') }}
