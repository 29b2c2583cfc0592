{{ config(full_refresh='sometimes') }}
select 1 as x
