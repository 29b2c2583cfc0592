-- Power and water meters as the asset register lists them today (a vacated dwelling's meters
-- keep their row with status `vacant`). A meter's district, kind and initial register never
-- change.
select
    meter_id,
    address_id,
    district_id,
    kind,
    unit,
    installed_day,
    initial_register,
    status,
    updated_day
from {{ source('uxc', 'utilities_meters') }}
