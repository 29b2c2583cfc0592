{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}
select {{ f(0) }}
