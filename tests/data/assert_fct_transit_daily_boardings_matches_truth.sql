-- The transit mart reproduces the simulator's clean boardings per day and line within 2% on
-- every settled day. Settled: a tap reaches the feed at most two days after its day
-- (`chaos::deliveries`: late by 1-2 days; duplicates follow the first delivery), so every day up
-- to the last delivered day minus 2 is complete. Duplicated taps must be counted once and late
-- taps kept; the drifting validator clocks must not move a tap to another day.
{{ compare_to_truth(
    mart=ref('fct_transit_daily_boardings'),
    truth=source('uxc_truth', 'transit_daily_boardings'),
    keys=['day_serial', 'line_id'],
    measures=['boardings'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'transit_boardings') ~ ")",
    settle_days=2
) }}
