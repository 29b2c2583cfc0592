{% snapshot health_plans_snapshot %}
{{ config(unique_key='plan_id', strategy='check', check_cols=['plan_year', 'monthly_premium_cents', 'deductible_cents', 'oop_max_cents', 'coinsurance_bp']) }}
-- Each plan year reprices the plans in place; the snapshot keeps every year's terms.
select plan_id, plan_name, metal_tier, plan_year, monthly_premium_cents, deductible_cents, oop_max_cents, coinsurance_bp
from {{ source('uxc', 'health_plans') }}
{% endsnapshot %}
