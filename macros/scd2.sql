{#- The validity of a snapshot's versions in simulated days: `valid_from_day`, `valid_to_day`
    (null for the current version) and `effective_from_day`, which stretches each key's first
    captured version back to the beginning, since a fact older than the first build still needs
    a version to point at (the history before it was not captured). -#}
{% macro scd2_days(key) -%}
    {{ day_serial_of('dbt_valid_from') }} as valid_from_day,
    {{ day_serial_of('dbt_valid_to') }} as valid_to_day,
    case
        when row_number() over (partition by {{ key }} order by dbt_valid_from) = 1 then -1000000
        else {{ day_serial_of('dbt_valid_from') }}
    end as effective_from_day,
    dbt_valid_to is null as is_current
{%- endmacro %}
