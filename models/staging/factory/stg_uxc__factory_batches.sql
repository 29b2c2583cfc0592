-- Production batches, cleaned: one row per batch (a duplicate delivery is dropped, the first
-- kept; late rows are simply there once they arrive), the canonical machine and product, and
-- every timestamp in UTC (the plant clock's rows are moved from UTC-7).
with deliveries as (
    select
        batches.*,
        row_number() over (partition by batch_id order by _delivered_day) as delivery
    from {{ source('uxc', 'factory_batches') }} as batches
),

first_deliveries as (
    select
        batch_id,
        {{ machine_code('machine_ref') }} as machine_code,
        {{ product_key('product_name') }} as product_key,
        {{ plant_time_to_utc('started_at', 'clock_source') }} as started_at,
        {{ plant_time_to_utc('ended_at', 'clock_source') }} as ended_at,
        units_produced,
        units_defective,
        energy_kwh,
        operator_id,
        _delivered_day as delivered_day
    from deliveries
    where delivery = 1
)

select
    batches.batch_id,
    machines.machine_id,
    products.product_id,
    batches.started_at,
    batches.ended_at,
    {{ day_serial_of('batches.started_at') }} as day_serial,
    batches.units_produced,
    batches.units_defective,
    batches.energy_kwh,
    batches.operator_id,
    batches.delivered_day
from first_deliveries as batches
inner join {{ ref('stg_uxc__factory_machines') }} as machines
    on machines.machine_code = batches.machine_code
inner join {{ ref('stg_uxc__factory_products') }} as products
    on products.product_key = batches.product_key
