{#- Cleaning the simulated source systems' habits. Each works the same on DuckDB and Postgres. -#}

{#- Letters and digits only, lower case: `Smelter #1` -> `smelter1`, ` IRON_PLATE ` -> `ironplate`. -#}
{% macro alnum_key(column) -%}
    lower(regexp_replace({{ column }}, '[^A-Za-z0-9]', '', 'g'))
{%- endmacro %}

{#- A product name in any spelling (`iron_plate`, `IRON PLATE`, `Iron Plates`) as a join key. -#}
{% macro product_key(column) -%}
    regexp_replace({{ alnum_key(column) }}, 's$', '')
{%- endmacro %}

{#- A machine reference in any form (`SMELTER-01`, `Smelter-1`, `smelter_01`, `S1`) as its
    canonical code `SMELTER-01`: the type from the first letter, the number from the digits. -#}
{% macro machine_code(column) -%}
    case left({{ alnum_key(column) }}, 1)
        when 's' then 'SMELTER'
        when 'a' then 'ASSEMBLER'
    end
    || '-'
    || lpad(regexp_replace({{ column }}, '[^0-9]', '', 'g'), 2, '0')
{%- endmacro %}

{#- Plant clocks run on UTC-7; rows say so in `clock_source`. -#}
{% macro plant_time_to_utc(column, clock_source) -%}
    case when {{ clock_source }} = 'plant_local' then {{ column }} + interval '7 hours' else {{ column }} end
{%- endmacro %}

{#- A name with stray spaces and any casing, as `Alice`. -#}
{% macro proper_name(column) -%}
    upper(left(trim({{ column }}), 1)) || lower(substr(trim({{ column }}), 2))
{%- endmacro %}

{#- The simulated day (serial since 20100101) a proxy timestamp falls on. -#}
{% macro day_serial_of(timestamp) -%}
    {{ adapter.dispatch('day_serial_of')(timestamp) }}
{%- endmacro %}

{% macro default__day_serial_of(timestamp) -%}
    (cast({{ timestamp }} as date) - date '2010-01-01')
{%- endmacro %}

{% macro duckdb__day_serial_of(timestamp) -%}
    cast(date_diff('day', date '2010-01-01', cast({{ timestamp }} as date)) as integer)
{%- endmacro %}

{#- An ICD-10 diagnosis code in any submitted form (`j11.1`, `J111`, `j111`, `J11.1 `) as its
    canonical spelling `J11.1`: letters and digits upper-cased, the dot after the third character. -#}
{% macro icd10_code(column) -%}
    case
        when length(upper(regexp_replace({{ column }}, '[^A-Za-z0-9]', '', 'g'))) > 3
            then left(upper(regexp_replace({{ column }}, '[^A-Za-z0-9]', '', 'g')), 3)
                || '.'
                || substr(upper(regexp_replace({{ column }}, '[^A-Za-z0-9]', '', 'g')), 4)
        else upper(regexp_replace({{ column }}, '[^A-Za-z0-9]', '', 'g'))
    end
{%- endmacro %}

{#- Whole seconds from one timestamp to a later one. -#}
{% macro seconds_between(start, finish) -%}
    {{ adapter.dispatch('seconds_between')(start, finish) }}
{%- endmacro %}

{% macro default__seconds_between(start, finish) -%}
    cast(extract(epoch from ({{ finish }}) - ({{ start }})) as bigint)
{%- endmacro %}

{% macro duckdb__seconds_between(start, finish) -%}
    date_diff('second', {{ start }}, {{ finish }})
{%- endmacro %}
