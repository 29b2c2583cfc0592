select * from {{ ref('nopkg', 'stg_orders') }}
