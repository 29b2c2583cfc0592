select 1
{% macro m() %}1{% endmacro %}
