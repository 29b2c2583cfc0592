{% snapshot health_plans_snapshot %}
{{ config(unique_key='plan_id', strategy='timestamp', updated_at='updated_at') }}
-- Each plan year reprices the plans in place; the snapshot keeps every year's terms, each from
-- the simulated day they took effect.
select plan_id, plan_name, metal_tier, plan_year, monthly_premium_cents, deductible_cents, oop_max_cents, coinsurance_bp,
    {{ simulated_time('updated_day') }} as updated_at
from {{ source('uxc', 'health_plans') }}
{% endsnapshot %}
