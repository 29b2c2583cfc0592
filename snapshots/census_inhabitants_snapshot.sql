{% snapshot census_inhabitants_snapshot %}
{{ config(unique_key='ux_id', strategy='timestamp', updated_at='updated_at') }}
-- Moves, marriages, new jobs and deaths: the register changes in place, the snapshot keeps
-- history, each version from the simulated day it was registered.
select ux_id, last_name, address_id, district_id, occupation, employer, status,
    {{ simulated_time('updated_day') }} as updated_at
from {{ ref('stg_uxc__census_inhabitants') }}
{% endsnapshot %}
