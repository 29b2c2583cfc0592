{{ config({"pre_hook": "select 1", "pre-hook": "select 2"}) }}
select 1 as x
