{% set r = run_query('select 1') %}
select 1 as x
