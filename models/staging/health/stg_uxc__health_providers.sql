-- In-network providers: the general hospital (9501), clinics and doctors.
select provider_id, npi, provider_name, specialty, district_id
from {{ source('uxc', 'health_providers') }}
