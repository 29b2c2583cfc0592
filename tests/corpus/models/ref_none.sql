select * from {{ ref(none) }}
