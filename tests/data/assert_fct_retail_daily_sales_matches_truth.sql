-- The retail mart reproduces the simulator's clean daily sales within 2% on every settled day.
-- Settled: an order (and its lines, which travel with it) reaches the feed at most two days
-- after its day (`chaos::deliveries`: late by 1-2 days; a duplicate comes after the first
-- delivery, so it cannot be the only one), so every day up to the last delivered day minus 2 is
-- complete. De-duplication and keeping late rows both have to be right for this to pass.
{{ compare_to_truth(
    mart=ref('fct_retail_daily_sales'),
    truth=source('uxc_truth', 'retail_daily_sales'),
    keys=['day_serial', 'store_id', 'product_id'],
    measures=['orders', 'quantity', 'revenue_cents'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'retail_orders') ~ ")",
    settle_days=2
) }}
