-- Daily register reads, one row per read (a duplicate delivery dropped, the first kept; late
-- reads kept), with what each read says about consumption: the difference from the meter's
-- previous non-null read (or from `initial_register` for the first), covering every day since
-- that read. A missed read (null register) has no consumption of its own: the next read covers
-- both days, and `int_utilities_meter_days` spreads it over them.
with deliveries as (
    select
        readings.*,
        row_number() over (partition by reading_id order by _delivered_day) as delivery
    from {{ source('uxc', 'utilities_readings') }} as readings
),

reads as (
    select
        reading_id,
        meter_id,
        read_at,
        day_serial,
        register_value,
        _delivered_day as delivered_day
    from deliveries
    where delivery = 1
),

with_previous as (
    select
        reads.*,
        lag(reads.register_value) over (
            partition by reads.meter_id, reads.register_value is null order by reads.day_serial
        ) as previous_register,
        lag(reads.day_serial) over (
            partition by reads.meter_id, reads.register_value is null order by reads.day_serial
        ) as previous_read_day
    from reads
)

select
    reads.reading_id,
    reads.meter_id,
    reads.read_at,
    reads.day_serial,
    reads.register_value,
    reads.register_value is null as is_missed,
    case when reads.register_value is not null then
        coalesce(reads.previous_read_day, meters.installed_day - 1) + 1
    end as covers_from_day,
    case when reads.register_value is not null then
        reads.register_value - coalesce(reads.previous_register, meters.initial_register)
    end as consumption_since_previous,
    reads.delivered_day
from with_previous as reads
inner join {{ ref('stg_uxc__utilities_meters') }} as meters
    on meters.meter_id = reads.meter_id
