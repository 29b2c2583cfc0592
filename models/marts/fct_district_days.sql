{{ config(
    materialized='incremental',
    unique_key=['district_id', 'day_serial'],
    incremental_strategy='merge',
    on_schema_change='append_new_columns'
) }}

-- District-days grow with the horizon: each run adds the days not loaded yet.
select
    district_id,
    zone,
    day_serial,
    ux_date,
    season,
    is_business_day
from {{ ref('int_district_days') }}
{% if is_incremental() %}
where day_serial > (select max(day_serial) from {{ this }})
{% endif %}
