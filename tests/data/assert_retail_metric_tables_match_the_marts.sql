-- The metric tables built from the semantic layer agree with the marts they read: each day's
-- revenue, units and web sessions, the ratios computed from them, and each month's revenue per
-- store. Rows here are disagreements.
with sales as (
    select day_serial, sum(revenue_cents) as revenue, sum(quantity) as units
    from {{ ref('fct_retail_daily_sales') }}
    group by 1
),

monthly as (
    select {{ ux_year_month('day_serial') }} as ux_month, store_id, sum(revenue_cents) as revenue
    from {{ ref('fct_retail_daily_sales') }}
    group by 1, 2
)

select 'day' as grain, metrics.metric_time__day as period, null as store
from {{ ref('mtr_retail_daily') }} as metrics
left join sales
    on sales.day_serial = metrics.metric_time__day
left join {{ ref('fct_retail_web_funnel_daily') }} as funnel
    on funnel.day_serial = metrics.metric_time__day
where metrics.revenue is distinct from sales.revenue
    or metrics.units_sold is distinct from sales.units
    or metrics.web_sessions is distinct from funnel.sessions
    or abs(metrics.average_unit_price - sales.revenue * 1.0 / sales.units) > 0.0001
    or abs(metrics.web_conversion_rate - funnel.orders * 1.0 / funnel.sessions) > 0.0001

union all

select 'month' as grain, monthly.ux_month as period, monthly.store_id as store
from monthly
left join {{ ref('mtr_retail_monthly_by_store') }} as metrics
    on metrics.metric_time__month = monthly.ux_month
    and metrics.store = monthly.store_id
where metrics.revenue is distinct from monthly.revenue
