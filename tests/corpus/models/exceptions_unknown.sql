{{ exceptions.frobnicate('x') }}
select 1
