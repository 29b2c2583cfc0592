select * from {{ source('raw', 'payment') }}
