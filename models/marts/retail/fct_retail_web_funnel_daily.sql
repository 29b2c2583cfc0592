-- The web shop's funnel per day, the grain of `truth.retail_web_daily`: sessions started, and
-- of those how many added to the cart, reached checkout and bought. Checked against the truth
-- by `assert_fct_retail_web_funnel_daily_matches_truth`.
with reached as (
    select
        session_id,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as carted,
        max(case when event_type = 'checkout' then 1 else 0 end) as checked_out,
        max(case when event_type = 'purchase' then 1 else 0 end) as bought
    from {{ ref('stg_uxc__retail_web_events') }}
    group by 1
)

select
    sessions.day_serial,
    count(*) as sessions,
    sum(coalesce(reached.carted, 0)) as carts,
    sum(coalesce(reached.checked_out, 0)) as checkouts,
    sum(coalesce(reached.bought, 0)) as orders,
    max(sessions.delivered_day) as last_delivered_day
from {{ ref('stg_uxc__retail_web_sessions') }} as sessions
left join reached
    on reached.session_id = sessions.session_id
group by 1
