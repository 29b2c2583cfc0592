{% macro fine() %}1{% endmacro %}

{% macro broken() %}{% if %}{% endmacro %}
