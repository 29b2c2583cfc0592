select * from {{ ref('corpus') }}
