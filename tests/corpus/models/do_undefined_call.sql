{% do nothing_here() %}
select 1
