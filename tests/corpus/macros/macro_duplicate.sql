{% macro cents_to_units(x) %}{{ x }}{% endmacro %}
