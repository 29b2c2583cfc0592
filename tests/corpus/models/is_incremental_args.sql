{{ is_incremental(5) }}
select 1
