-- Dwellings with their street spelled out.
select
    addresses.address_id,
    addresses.unit_num,
    addresses.street_num,
    streets.street_name || ' ' || streets.street_type as street,
    addresses.postal_code,
    addresses.district_id
from {{ source('uxc', 'census_addresses') }} as addresses
inner join {{ source('uxc', 'census_streets') }} as streets
    on streets.street_id = addresses.street_id
