{% include 'nope.sql' %}
