{% raw %}
select 1
