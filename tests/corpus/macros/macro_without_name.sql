{% macro () %}{% endmacro %}
