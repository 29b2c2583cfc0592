-- Coverage periods, one row per enrollment: the `start` and `end` events of an enrollment_id
-- (each de-duplicated, the first delivery kept) folded together; `end_day` is null while the
-- cover is still running.
with deliveries as (
    select
        enrollments.*,
        row_number() over (
            partition by enrollment_id, event_type order by _delivered_day
        ) as delivery
    from {{ source('uxc', 'health_enrollments') }} as enrollments
),

events as (
    select * from deliveries where delivery = 1
)

select
    starts.enrollment_id,
    starts.member_id,
    starts.plan_id,
    starts.start_day,
    ends.end_day,
    starts.reason as start_reason,
    ends.reason as end_reason,
    ends.end_day is null as is_current,
    starts.recorded_at as started_recorded_at,
    ends.recorded_at as ended_recorded_at
from events as starts
left join events as ends
    on ends.enrollment_id = starts.enrollment_id
    and ends.event_type = 'end'
where starts.event_type = 'start'
