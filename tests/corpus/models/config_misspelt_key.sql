{{ config(materializd='table') }}
select 1 as x
