{#- The Uxcestershire calendar: 360-day years of twelve 30-day months, day serial 0 = 20100101.
    These never produce a SQL DATE for a Uxcestershire date (20100230 is valid there). -#}

{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__int_div(numerator, denominator) %}(({{ numerator }}) / ({{ denominator }})){% endmacro %}

{#- DuckDB's `/` is float division; `//` is the integer one. -#}
{% macro duckdb__int_div(numerator, denominator) %}(({{ numerator }}) // ({{ denominator }})){% endmacro %}

{% macro ux_year(day_serial) %}(2010 + {{ int_div(day_serial, 360) }}){% endmacro %}
{% macro ux_month(day_serial) %}({{ int_div('(' ~ day_serial ~ ') % 360', 30) }} + 1){% endmacro %}
{% macro ux_day(day_serial) %}((({{ day_serial }}) % 30) + 1){% endmacro %}

{#- `yyyymmdd` text, e.g. '20100230'. -#}
{% macro ux_date(day_serial) -%}
    cast({{ ux_year(day_serial) }} * 10000 + {{ ux_month(day_serial) }} * 100 + {{ ux_day(day_serial) }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The real timestamp a day serial maps to on the proxy timeline (2010-01-01 + N days). -#}
{% macro proxy_date(day_serial) %}(date '2010-01-01' + cast({{ day_serial }} as integer)){% endmacro %}

{#- The service month `yyyymm` (an integer) of a day serial, as `truth.health_claims_monthly` keys it. -#}
{% macro ux_year_month(day_serial) %}({{ ux_year(day_serial) }} * 100 + {{ ux_month(day_serial) }}){% endmacro %}

{#- The serial of the last (30th) day of a `yyyymm` month. -#}
{% macro last_day_of_ux_month(year_month) -%}
    (({{ int_div(year_month, 100) }} - 2010) * 360 + (({{ year_month }}) % 100 - 1) * 30 + 29)
{%- endmacro %}

{#- The simulated day as a timestamp (midnight on the proxy timeline): what snapshots take as
    `updated_at`, so a version starts on the day the town changed, not when a build saw it. -#}
{% macro simulated_time(day_serial) %}cast({{ proxy_date(day_serial) }} as timestamp){% endmacro %}
