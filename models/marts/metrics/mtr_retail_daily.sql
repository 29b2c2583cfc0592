-- The retail metrics per simulated day, computed from the semantic layer's YAML
-- (`_retail__semantic.yml`). The models the metrics read:
-- depends_on: {{ ref('fct_retail_daily_sales') }}, {{ ref('fct_retail_web_funnel_daily') }}
{{ metric_table(
    ['revenue', 'units_sold', 'average_unit_price', 'web_sessions', 'web_purchases', 'web_conversion_rate', 'revenue_per_web_session'],
    grain='day'
) }}
