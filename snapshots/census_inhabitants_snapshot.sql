{% snapshot census_inhabitants_snapshot %}
{{ config(unique_key='ux_id', strategy='check', check_cols=['last_name', 'address_id', 'occupation', 'employer', 'status']) }}
-- Moves, marriages, new jobs and deaths: the register changes in place, the snapshot keeps history.
select ux_id, last_name, address_id, district_id, occupation, employer, status
from {{ ref('stg_uxc__census_inhabitants') }}
{% endsnapshot %}
