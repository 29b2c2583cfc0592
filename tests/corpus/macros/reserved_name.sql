{% macro ref(x) %}{{ x }}{% endmacro %}
