select * from {{ ref('stg_orders', v=7) }}
