{{ config(enabled='maybe') }}
select 1 as x
