{% set %}
select 1
