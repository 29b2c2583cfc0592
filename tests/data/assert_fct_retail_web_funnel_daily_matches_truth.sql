-- The web funnel reproduces the simulator's within 2% on every settled day. A session's events
-- travel with it (late by up to two days, or twice), so without de-duplicating sessions and
-- events the counts run high, and without the late ones low.
{{ compare_to_truth(
    mart=ref('fct_retail_web_funnel_daily'),
    truth=source('uxc_truth', 'retail_web_daily'),
    keys=['day_serial'],
    measures=['sessions', 'carts', 'checkouts', 'orders'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'retail_web_sessions') ~ ")",
    settle_days=2
) }}
