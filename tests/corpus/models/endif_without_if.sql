select 1
{% endif %}
