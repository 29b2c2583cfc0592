-- Consumption per day, district and kind (Wh for power, litres for water), the grain of
-- `truth.utilities_daily`: every district and kind on every day the readings feed covers, zero
-- where nothing was drawn. Each read's consumption (its register minus the previous read's) is
-- spread evenly over the days it covers, so a missed read's day gets an estimate (half of the
-- next read's difference) rather than nothing and the next day does not get double.
-- Checked by `assert_fct_utilities_daily_matches_truth`.
with readings as (
    select *
    from {{ ref('stg_uxc__utilities_readings') }}
),

days as (
    select distinct day_serial from readings
),

-- 0, 1, ... up to the longest run of days one read covers (a few): joined on this small list
-- instead of a range join over every day, which is slow on Postgres.
day_offsets as (
    select day_serial - (select min(day_serial) from days) as day_offset
    from days
    where day_serial - (select min(day_serial) from days)
        <= (select max(day_serial - covers_from_day) from readings)
),

meter_days as (
    select
        readings.day_serial - day_offsets.day_offset as day_serial,
        readings.meter_id,
        readings.consumption_since_previous * 1.0
            / (readings.day_serial - readings.covers_from_day + 1) as consumption,
        case when readings.covers_from_day < readings.day_serial then 1 else 0 end as is_estimated,
        readings.delivered_day
    from readings
    inner join day_offsets
        on day_offsets.day_offset <= readings.day_serial - readings.covers_from_day
    where not readings.is_missed
),

district_days as (
    select
        meter_days.day_serial,
        meters.district_id,
        meters.kind,
        sum(meter_days.consumption) as consumption,
        count(*) as meters,
        sum(meter_days.is_estimated) as meters_estimated,
        max(meter_days.delivered_day) as last_delivered_day
    from meter_days
    inner join {{ ref('stg_uxc__utilities_meters') }} as meters
        on meters.meter_id = meter_days.meter_id
    group by 1, 2, 3
),

kinds as (
    select 'power' as kind, 'Wh' as unit
    union all
    select 'water' as kind, 'L' as unit
),

spine as (
    select days.day_serial, districts.district_id, kinds.kind, kinds.unit
    from days
    cross join {{ ref('stg_districts') }} as districts
    cross join kinds
)

select
    spine.day_serial,
    spine.district_id,
    spine.kind,
    spine.unit,
    cast(round(coalesce(district_days.consumption, 0)) as bigint) as consumption,
    coalesce(district_days.meters, 0) as meters,
    coalesce(district_days.meters_estimated, 0) as meters_estimated,
    district_days.last_delivered_day
from spine
left join district_days
    on district_days.day_serial = spine.day_serial
    and district_days.district_id = spine.district_id
    and district_days.kind = spine.kind
