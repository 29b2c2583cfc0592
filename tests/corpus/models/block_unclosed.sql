{% block b %}
select 1
