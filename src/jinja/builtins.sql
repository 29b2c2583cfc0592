{#- Macros every project can call, as dbt's global project provides them. A project macro of the
    same name replaces one of these; engine differences go through adapter.dispatch. -#}

{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- elif node.version -%}{{ node.name ~ "_v" ~ node.version }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {%- if custom_database_name is none -%}{{ target.database }}{%- else -%}{{ custom_database_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro current_timestamp() %}{{ return(adapter.dispatch('current_timestamp')()) }}{% endmacro %}
{% macro default__current_timestamp() %}current_timestamp{% endmacro %}

{% macro type_string() %}{{ return(adapter.dispatch('type_string')()) }}{% endmacro %}
{% macro default__type_string() %}varchar{% endmacro %}
{% macro postgres__type_string() %}text{% endmacro %}
{% macro type_int() %}integer{% endmacro %}
{% macro type_bigint() %}bigint{% endmacro %}
{% macro type_float() %}double precision{% endmacro %}
{% macro type_numeric() %}numeric(28,6){% endmacro %}
{% macro type_boolean() %}boolean{% endmacro %}
{% macro type_timestamp() %}timestamp{% endmacro %}

{% macro date_trunc(datepart, date) %}date_trunc('{{ datepart }}', {{ date }}){% endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ return(adapter.dispatch('dateadd')(datepart, interval, from_date_or_timestamp)) }}{% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}({{ from_date_or_timestamp }} + (({{ interval }}) * interval '1 {{ datepart }}')){% endmacro %}

{% macro datediff(first_date, second_date, datepart) %}{{ return(adapter.dispatch('datediff')(first_date, second_date, datepart)) }}{% endmacro %}
{% macro duckdb__datediff(first_date, second_date, datepart) %}date_diff('{{ datepart }}', ({{ first_date }})::timestamp, ({{ second_date }})::timestamp){% endmacro %}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}(({{ second_date }})::date - ({{ first_date }})::date)
    {%- elif datepart == 'hour' -%}floor(extract(epoch from (({{ second_date }})::timestamp - ({{ first_date }})::timestamp)) / 3600)::bigint
    {%- elif datepart == 'minute' -%}floor(extract(epoch from (({{ second_date }})::timestamp - ({{ first_date }})::timestamp)) / 60)::bigint
    {%- elif datepart == 'second' -%}floor(extract(epoch from (({{ second_date }})::timestamp - ({{ first_date }})::timestamp)))::bigint
    {%- elif datepart == 'month' -%}((date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date)) * 12 + date_part('month', ({{ second_date }})::date) - date_part('month', ({{ first_date }})::date))::bigint
    {%- elif datepart == 'year' -%}(date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date))::bigint
    {%- else -%}{{ exceptions.raise_compiler_error("datediff: unsupported datepart " ~ datepart) }}
    {%- endif -%}
{%- endmacro %}

{% macro concat(fields) %}({{ fields | join(' || ') }}){% endmacro %}
{% macro hash(field) %}md5(cast({{ field }} as {{ type_string() }})){% endmacro %}
{% macro safe_cast(field, type) %}{{ return(adapter.dispatch('safe_cast')(field, type)) }}{% endmacro %}
{% macro duckdb__safe_cast(field, type) %}try_cast({{ field }} as {{ type }}){% endmacro %}
{% macro default__safe_cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{% macro string_literal(value) %}'{{ value | replace("'", "''") }}'{% endmacro %}
{% macro escape_single_quotes(expression) %}{{ expression | replace("'", "''") }}{% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){% endmacro %}
{% macro any_value(expression) %}{{ return(adapter.dispatch('any_value')(expression)) }}{% endmacro %}
{% macro duckdb__any_value(expression) %}any_value({{ expression }}){% endmacro %}
{% macro default__any_value(expression) %}min({{ expression }}){% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}){% endmacro %}
{% macro cast_bool_to_text(field) %}cast({{ field }} as {{ type_string() }}){% endmacro %}
{% macro last_day(date, datepart) %}cast(date_trunc('{{ datepart }}', {{ date }}) + interval '1 {{ datepart }}' - interval '1 day' as date){% endmacro %}
