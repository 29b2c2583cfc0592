-- What the plans paid for services in the 30 days up to each day, beside the same window a
-- year (360 days) earlier.
with daily as (
    select service_day as day_serial, sum(paid_cents) as paid_cents, count(*) as claims
    from {{ ref('fct_health_claims') }}
    group by 1
),

days as (
    select day_serial
    from {{ ref('ref_calendar') }}
    where day_serial <= (select max(day_serial) from daily)
),

rolling as (
    select
        days.day_serial,
        coalesce(sum(daily.paid_cents), 0) as paid_cents_30d,
        coalesce(sum(daily.claims), 0) as claims_30d
    from days
    left join daily
        on daily.day_serial > days.day_serial - 30
        and daily.day_serial <= days.day_serial
    group by 1
)

select
    rolling.day_serial,
    rolling.paid_cents_30d,
    rolling.claims_30d,
    year_before.paid_cents_30d as paid_cents_30d_year_before,
    case
        when year_before.paid_cents_30d > 0
            then round((rolling.paid_cents_30d - year_before.paid_cents_30d) * 100.0 / year_before.paid_cents_30d, 1)
    end as paid_change_pct
from rolling
left join rolling as year_before
    on year_before.day_serial = rolling.day_serial - 360
