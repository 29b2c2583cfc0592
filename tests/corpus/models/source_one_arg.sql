select * from {{ source('raw') }}
