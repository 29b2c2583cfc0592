-- The population mart (the register as it stands today) equals the simulator's head count per
-- district on the last simulated day exactly: counting the dead, or households that dissolved,
-- or placing a household by a stale address fails it.
with last_day as (
    select max(day_serial) as day_serial
    from {{ source('uxc_truth', 'census_population') }}
),

truth as (
    select district_id, inhabitants, households
    from {{ source('uxc_truth', 'census_population') }}
    where day_serial = (select day_serial from last_day)
)

select
    coalesce(truth.district_id, mart.district_id) as district_id,
    truth.inhabitants as truth_inhabitants,
    mart.inhabitants as mart_inhabitants,
    truth.households as truth_households,
    mart.households as mart_households
from truth
full outer join {{ ref('fct_district_population') }} as mart
    on mart.district_id = truth.district_id
where mart.district_id is null
    or truth.district_id is null and mart.inhabitants > 0
    or mart.inhabitants <> truth.inhabitants
    or mart.households <> truth.households
