{% macro m( %}{% endmacro %}
select 1
