select * from {{ ref() }}
