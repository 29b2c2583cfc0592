{% macro a() %}{{ b() }}{% endmacro %}
{% macro b() %}{{ a() }}{% endmacro %}
