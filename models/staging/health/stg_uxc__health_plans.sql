-- The insurer's plans with this plan year's terms (the snapshot `health_plans_snapshot` keeps
-- every year's terms).
select
    plan_id,
    plan_name,
    metal_tier,
    plan_year,
    monthly_premium_cents,
    deductible_cents,
    oop_max_cents,
    coinsurance_bp,
    updated_day
from {{ source('uxc', 'health_plans') }}
