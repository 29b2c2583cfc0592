-- Outages with their district's name.
select
    outages.outage_id,
    districts.district_name,
    districts.zone,
    outages.cause,
    outages.day_serial,
    outages.minutes,
    outages.meters_affected
from {{ ref('stg_uxc__utilities_outages') }} as outages
inner join {{ ref('stg_districts') }} as districts on districts.district_id = outages.district_id
