select * from {{ source('rawx', 'payments') }}
