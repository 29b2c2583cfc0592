{% import 'nope.sql' as n %}
select 1
