{{ log() }}
select 1
