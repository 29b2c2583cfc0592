-- Every snapshot version starts on the simulated day the town made that change: its
-- `dbt_valid_from` is a day `truth.scd_history` has for the key, and the current version starts
-- on the key's last change. A snapshot stamped with the build's wall-clock time fails this.
{% set snapshots = [
    ('census_inhabitants_snapshot', 'census_inhabitants', 'ux_id'),
    ('factory_machines_snapshot', 'factory_machines', 'machine_id'),
    ('health_members_snapshot', 'health_members', 'member_id'),
    ('health_plans_snapshot', 'health_plans', 'plan_id'),
    ('retail_products_snapshot', 'retail_products', 'product_id'),
] %}
with history as (
    select table_name, entity_key, valid_from_day
    from {{ source('uxc_truth', 'scd_history') }}
),

last_change as (
    select table_name, entity_key, max(valid_from_day) as valid_from_day
    from history
    group by 1, 2
),

versions as (
    {% for snapshot, table, key in snapshots %}
    select
        '{{ table }}' as table_name,
        cast({{ key }} as bigint) as entity_key,
        {{ day_serial_of('dbt_valid_from') }} as valid_from_day,
        dbt_valid_to is null as is_current
    from {{ ref(snapshot) }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
)

select versions.*, 'no such change in truth.scd_history' as problem
from versions
where not exists (
    select 1
    from history
    where history.table_name = versions.table_name
        and history.entity_key = versions.entity_key
        and history.valid_from_day = versions.valid_from_day
)

union all

select versions.*, 'the current version does not start on the last change' as problem
from versions
inner join last_change
    on last_change.table_name = versions.table_name
    and last_change.entity_key = versions.entity_key
where versions.is_current
    and versions.valid_from_day <> last_change.valid_from_day
