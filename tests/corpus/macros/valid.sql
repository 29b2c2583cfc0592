{% macro ok() %}1{% endmacro %}
