select * from {{ source(1, 2) }}
