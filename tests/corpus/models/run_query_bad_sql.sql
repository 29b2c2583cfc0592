{% if execute %}{% set r = run_query('selec 1') %}{% endif %}
select 1 as x
