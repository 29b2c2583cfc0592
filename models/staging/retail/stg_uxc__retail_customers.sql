-- Loyalty-programme customers as they stand today; churned and deceased customers keep their
-- last row, so every order's customer is here.
select
    customer_id,
    ux_id,
    lower(trim(email)) as email,
    home_store_id,
    loyalty_tier,
    signup_day,
    status,
    updated_day
from {{ source('uxc', 'retail_customers') }}
