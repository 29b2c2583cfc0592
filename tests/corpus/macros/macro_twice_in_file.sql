{% macro m() %}1{% endmacro %}
{% macro m() %}2{% endmacro %}
