select 1 as x
{% if true %}
