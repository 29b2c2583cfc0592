{#- Rows where `mart` differs from `truth` by more than `tolerance` (a share) in any of
    `measures`, or misses a row, on every settled day: a day whose late rows have all arrived,
    `settle_days` before the last day delivered; and rows of `mart` in a settled period (the
    first key, a day or a month) whose key the truth never had. A data test passes when this
    returns nothing. -#}
{% macro compare_to_truth(mart, truth, keys, measures, last_delivered_day, settle_days=2, tolerance=0.02) %}
with settled as (
    select {{ last_delivered_day }} - {{ settle_days }} as last_day
),

truth as (
    select *
    from {{ truth }}
    where day_serial <= (select last_day from settled)
)

select
    {% for key in keys %}truth.{{ key }},{% endfor %}
    {% for measure in measures %}
    truth.{{ measure }} as truth_{{ measure }},
    mart.{{ measure }} as mart_{{ measure }}{{ ',' if not loop.last }}
    {% endfor %}
from truth
left join {{ mart }} as mart
    on {% for key in keys %}mart.{{ key }} = truth.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
where mart.{{ keys[0] }} is null
{% for measure in measures %}
    or abs(mart.{{ measure }} - truth.{{ measure }}) > {{ tolerance }} * abs(truth.{{ measure }})
{% endfor %}

union all

select
    {% for key in keys %}mart.{{ key }},{% endfor %}
    {% for measure in measures %}
    null as truth_{{ measure }},
    mart.{{ measure }} as mart_{{ measure }}{{ ',' if not loop.last }}
    {% endfor %}
from {{ mart }} as mart
where mart.{{ keys[0] }} in (select {{ keys[0] }} from truth)
and not exists (
    select 1
    from (select * from {{ truth }}) as all_truth
    where {% for key in keys %}all_truth.{{ key }} = mart.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
)
{% endmacro %}
