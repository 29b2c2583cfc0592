-- Revenue, units and the average unit price per Uxcestershire month and store, computed from the
-- semantic layer's YAML (`_retail__semantic.yml`). The model the metrics read:
-- depends_on: {{ ref('fct_retail_daily_sales') }}
{{ metric_table(['revenue', 'units_sold', 'average_unit_price'], grain='month', dimensions=['store']) }}
