{% endmacro %}
