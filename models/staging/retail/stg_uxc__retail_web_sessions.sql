-- Web shop visits, one row per session_id (the first delivery of a duplicate kept, late
-- sessions kept).
with deliveries as (
    select
        sessions.*,
        row_number() over (partition by session_id order by _delivered_day) as delivery
    from {{ source('uxc', 'retail_web_sessions') }} as sessions
)

select
    session_id,
    customer_id,
    started_at,
    device,
    referrer,
    day_serial,
    _delivered_day as delivered_day
from deliveries
where delivery = 1
