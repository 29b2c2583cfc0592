{{ config(materialized='table') }}
{{ config(materialized='view') }}
select 1 as x
