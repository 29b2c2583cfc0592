{% call statement('x') %}
select 1
