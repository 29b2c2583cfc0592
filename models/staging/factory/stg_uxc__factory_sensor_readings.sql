-- Half-hourly sensor readings with canonical machine ids. Missing values stay NULL (averages
-- skip them); each device's clock drifts by a few minutes, so readings are bucketed by the
-- nearest half hour.
select
    readings.reading_id,
    machines.machine_id,
    readings.read_at,
    {{ day_serial_of('readings.read_at') }} as day_serial,
    readings.temperature_c,
    readings.pressure_kpa,
    readings.power_kw,
    readings.efficiency
from {{ source('uxc', 'factory_sensor_readings') }} as readings
inner join {{ ref('stg_uxc__factory_machines') }} as machines
    on machines.machine_code = {{ machine_code('readings.machine_ref') }}
