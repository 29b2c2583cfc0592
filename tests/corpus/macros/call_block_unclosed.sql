{% macro m() %}{% call statement('x') %}select 1{% endmacro %}
