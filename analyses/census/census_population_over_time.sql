-- The town's living inhabitants at the end of each day, by zone, from the simulator's truth.
select
    population.day_serial,
    districts.zone,
    sum(population.inhabitants) as inhabitants
from {{ source('uxc_truth', 'census_population') }} as population
inner join {{ ref('stg_districts') }} as districts on districts.district_id = population.district_id
group by 1, 2
