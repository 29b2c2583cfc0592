-- The health mart reproduces the simulator's clean claims per service month and plan within 2%
-- in every settled month. Settled: a claim reaches the insurer at most 120 days after its
-- service (the lag is clamped to 1-120 days), a re-adjudicated claim's corrected version comes
-- at most 30 days after that (`redo_after` is 5-30 days), and a late-delivery rate, were one
-- configured for health, adds at most two days: 152 days in all. A month is settled once its
-- last day (the 30th) is 152 days before the claims feed's last delivered day; only then are
-- its claim count and final paid amounts known. So in a run shorter than about six months no
-- month is settled yet and this test compares nothing: the truth for recent months cannot be
-- reproduced from claims that have not been received.
{% set truth_by_last_day %}
    (
        select
            monthly.*,
            {{ last_day_of_ux_month('monthly.ux_month') }} as day_serial
        from {{ source('uxc_truth', 'health_claims_monthly') }} as monthly
    ) as monthly_truth
{% endset %}
{{ compare_to_truth(
    mart=ref('fct_health_claims_monthly'),
    truth=truth_by_last_day,
    keys=['ux_month', 'plan_id'],
    measures=['claims', 'incurred_cents'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'health_claims') ~ ")",
    settle_days=152
) }}
