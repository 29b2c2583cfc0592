select
    district_id,
    trim(district_name) as district_name,
    lower(zone) as zone,
    target_share
from {{ ref('districts') }}
