select * from {{ ref('a', 'b', 'c') }}
