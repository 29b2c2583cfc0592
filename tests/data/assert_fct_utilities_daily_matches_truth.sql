-- The utilities mart reproduces the simulator's clean consumption per day, district and kind
-- within 2% on every settled day. Settled: a read reaches the feed at most two days after its
-- day (`chaos::deliveries`), but a missed read (2% of reads) is only covered by the next read,
-- itself up to two days late; so a day is settled three days before the last delivered day.
-- A meter that misses several reads in a row (rare: 0.04% for two) can still leave a settled
-- day short, and a missed day's consumption is an estimate; both stay well inside the 2%.
{{ compare_to_truth(
    mart=ref('fct_utilities_daily'),
    truth=source('uxc_truth', 'utilities_daily'),
    keys=['day_serial', 'district_id', 'kind'],
    measures=['consumption'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'utilities_readings') ~ ")",
    settle_days=3
) }}
