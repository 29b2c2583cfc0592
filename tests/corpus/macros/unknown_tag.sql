{% macro m() %}{% frobnicate %}{% endmacro %}
