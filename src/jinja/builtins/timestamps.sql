{#- Timestamps and dates, as dbt's global project and its DuckDB and Postgres adapters give them. -#}

{% macro current_timestamp() %}{{ adapter.dispatch('current_timestamp', 'dbt')() }}{% endmacro %}
{% macro default__current_timestamp() %}now(){% endmacro %}

{#- What `dbt_utils.current_timestamp()` used to give, kept for the projects that relied on it. -#}
{% macro current_timestamp_backcompat() %}{{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}{% endmacro %}
{% macro default__current_timestamp_backcompat() %}current_timestamp::{{ type_timestamp() }}{% endmacro %}

{% macro current_timestamp_in_utc_backcompat() %}{{ return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) }}{% endmacro %}
{% macro default__current_timestamp_in_utc_backcompat() %}{{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}{% endmacro %}
{% macro postgres__current_timestamp_in_utc_backcompat() %}(current_timestamp at time zone 'utc')::{{ type_timestamp() }}{% endmacro %}

{% macro snapshot_get_time() %}{{ adapter.dispatch('snapshot_get_time', 'dbt')() }}{% endmacro %}
{% macro default__snapshot_get_time() %}{{ current_timestamp() }}::timestamp{% endmacro %}
{% macro postgres__snapshot_get_time() %}{{ current_timestamp() }}::timestamp without time zone{% endmacro %}

{% macro snapshot_string_as_time(timestamp) %}{{ return(adapter.dispatch('snapshot_string_as_time', 'dbt')(timestamp)) }}{% endmacro %}
{% macro default__snapshot_string_as_time(timestamp) %}{{ return("'" ~ timestamp ~ "'::timestamp") }}{% endmacro %}
{% macro postgres__snapshot_string_as_time(timestamp) %}{{ return("'" ~ timestamp ~ "'::timestamp without time zone") }}{% endmacro %}

{#- The type the warehouse gives `snapshot_get_time()`. -#}
{% macro get_snapshot_get_time_data_type() %}
    {%- set columns = get_column_schema_from_query('select ' ~ adapter.dispatch('snapshot_get_time', 'dbt')() ~ ' as dbt_snapshot_time') -%}
    {{ return(columns[0].dtype if columns else none) }}
{% endmacro %}

{% macro convert_datetime(date_str, date_fmt) %}
    {{ return(modules.datetime.datetime.strptime(date_str, date_fmt)) }}
{% endmacro %}

{#- The days from start to end, both given as text in `in_fmt`, each written in `out_fmt`. -#}
{% macro dates_in_range(start_date_str, end_date_str=none, in_fmt="%Y%m%d", out_fmt="%Y%m%d") %}
    {%- set end_date_str = start_date_str if end_date_str is none else end_date_str -%}
    {%- set start = convert_datetime(start_date_str, in_fmt) -%}
    {%- set end = convert_datetime(end_date_str, in_fmt) -%}
    {%- set days = ((end.timestamp() - start.timestamp()) / 86400) | int -%}
    {%- if days < 0 -%}
        {{ exceptions.raise_compiler_error("partition end date (" ~ end_date_str ~ ") comes before the start date (" ~ start_date_str ~ ")") }}
    {%- endif -%}
    {%- set dates = [] -%}
    {%- for offset in range(days + 1) -%}
        {%- set day = modules.datetime.datetime.fromtimestamp(start.timestamp() + offset * 86400) -%}
        {%- do dates.append(day.strftime(out_fmt)) -%}
    {%- endfor -%}
    {{ return(dates) }}
{% endmacro %}

{#- `"20240101,20240103"` or `"20240101"` as the list of days it names. -#}
{% macro partition_range(raw_partition_date, date_fmt='%Y%m%d') %}
    {%- set parts = raw_partition_date.split(',') -%}
    {%- if parts | length == 1 -%}
        {{ return(dates_in_range(parts[0], none, in_fmt=date_fmt)) }}
    {%- elif parts | length == 2 -%}
        {{ return(dates_in_range(parts[0], parts[1], in_fmt=date_fmt)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("invalid partition time: expected one date or two separated by a comma, got " ~ raw_partition_date) }}
    {%- endif -%}
{% endmacro %}

{% macro py_current_timestring() %}
    {{ return(modules.datetime.datetime.now().strftime("%Y%m%d%H%M%S%f")) }}
{% endmacro %}
