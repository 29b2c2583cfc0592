{{ return(1) }}
select 1
