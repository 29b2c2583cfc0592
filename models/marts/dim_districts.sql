select
    districts.district_id,
    districts.district_name,
    districts.zone,
    districts.target_share,
    count(days.day_serial) as days_loaded
from {{ ref('stg_districts') }} as districts
left join {{ ref('fct_district_days') }} as days
    on days.district_id = districts.district_id
group by 1, 2, 3, 4
