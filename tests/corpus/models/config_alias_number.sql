{{ config(alias=3) }}
select 1 as x
