select * from {{ ref(5) }}
