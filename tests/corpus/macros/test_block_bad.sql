{% test t(model) %}
select 1
