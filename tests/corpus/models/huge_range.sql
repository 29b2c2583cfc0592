{% for i in range(1000000000) %}{{ i }}{% endfor %}
