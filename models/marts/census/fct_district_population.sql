-- Inhabitants and households per district today, from the register.
with people as (
    select district_id, count(*) as inhabitants
    from {{ ref('stg_uxc__census_inhabitants') }}
    where status = 'alive'
    group by 1
),

households as (
    select addresses.district_id, count(*) as households
    from {{ ref('stg_uxc__census_households') }} as households
    inner join {{ ref('stg_uxc__census_addresses') }} as addresses
        on addresses.address_id = households.address_id
    group by 1
)

select
    people.district_id,
    people.inhabitants,
    coalesce(households.households, 0) as households
from people
left join households on households.district_id = people.district_id
