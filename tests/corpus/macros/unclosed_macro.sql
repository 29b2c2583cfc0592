{% macro m() %}
select 1
