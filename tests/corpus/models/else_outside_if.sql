{% else %}
