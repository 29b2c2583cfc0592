-- Providers (they do not change): the provider dimension, keyed by `provider_id`.
select
    provider_id,
    npi,
    provider_name,
    specialty,
    district_id
from {{ ref('stg_uxc__health_providers') }}
