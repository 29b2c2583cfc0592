-- Households that exist today and where they live.
select household_id, address_id, formed_day
from {{ source('uxc', 'census_households') }}
where status = 'active'
