{% macro m() %}café{% endmacro %}
