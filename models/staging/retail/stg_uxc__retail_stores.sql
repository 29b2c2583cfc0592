-- UXFSI's shops as listed today (701 is the web shop, with no district).
select
    store_id,
    store_name,
    store_format,
    store_format = 'online' as is_online,
    district_id,
    opened_day,
    manager_ux_id,
    open_minute,
    close_minute,
    tax_rate_bp,
    status,
    updated_day
from {{ source('uxc', 'retail_stores') }}
