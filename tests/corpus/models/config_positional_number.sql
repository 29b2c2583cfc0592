{{ config(5) }}
select 1 as x
