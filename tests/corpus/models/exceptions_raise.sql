{{ exceptions.raise_compiler_error('stop here') }}
select 1
