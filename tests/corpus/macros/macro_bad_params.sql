{% macro m(a b) %}{% endmacro %}
