-- The population register with the registry's casing and spacing defects in names repaired.
select
    ux_id,
    {{ proper_name('first_name') }} as first_name,
    {{ proper_name('last_name') }} as last_name,
    sex,
    birth_day_serial,
    birth_ux_date,
    household_id,
    address_id,
    district_id,
    occupation,
    employer,
    mother_id,
    partner_id,
    status,
    updated_day
from {{ source('uxc', 'census_inhabitants') }}
