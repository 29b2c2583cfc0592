{% snapshot districts_snapshot %}
{{ config(unique_key='district_id', strategy='check', check_cols=['district_name', 'zone', 'target_share']) }}
-- District attributes change rarely; the history keeps every version.
select district_id, district_name, zone, target_share from {{ ref('stg_districts') }}
{% endsnapshot %}
