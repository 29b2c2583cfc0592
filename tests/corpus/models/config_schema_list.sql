{{ config(schema=['a']) }}
select 1 as x
