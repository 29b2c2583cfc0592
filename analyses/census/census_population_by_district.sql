-- Inhabitants and households per district, with the district's name and zone.
select
    districts.district_name,
    districts.zone,
    population.inhabitants,
    population.households
from {{ ref('fct_district_population') }} as population
inner join {{ ref('stg_districts') }} as districts on districts.district_id = population.district_id
