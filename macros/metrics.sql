{#- Metric tables from the semantic layer. `metric_table(metrics, grain, dimensions)` computes the
    named metrics of the project's `metrics:` YAML per period of `grain` (`day`, `month` or `year`
    of the Uxcestershire calendar, in a column `metric_time__<grain>`) and per each of
    `dimensions` (entity or categorical dimension names of the semantic models, one column
    each). It reads the declarations from `graph.metrics` and `graph.semantic_models`: each
    semantic model's measures are aggregated from its model, those of several semantic models
    joined on the period and dimensions, then simple metrics take their measure, ratio metrics
    divide, and derived metrics evaluate their `expr` over the metrics they name. The model
    calling it names the models it reads in a `depends_on:` comment, since the graph is only
    known when the model runs. -#}
{% macro metric_table(metrics, grain='day', dimensions=[]) -%}
{%- if not execute -%}
select 1 as metric_time__{{ grain }}
{%- else -%}
{%- set by_name = {} -%}
{%- for metric in graph.metrics.values() -%}{%- do by_name.update({metric.name: metric}) -%}{%- endfor -%}
{%- set owner = {} -%}
{%- set semantic_models = {} -%}
{%- for model in graph.semantic_models.values() -%}
    {%- do semantic_models.update({model.name: model}) -%}
    {%- for measure in model.measures -%}{%- do owner.update({measure.name: model}) -%}{%- endfor -%}
{%- endfor -%}
{#- Every metric needed, inputs before the metrics reading them. -#}
{%- set needed = [] -%}
{%- set state = namespace(pending=metrics) -%}
{%- for _ in range(10) -%}
    {%- set next = [] -%}
    {%- for name in state.pending -%}
        {%- if name not in by_name -%}
            {{ exceptions.raise_compiler_error("metric_table: no metric `" ~ name ~ "` in the project's metrics") }}
        {%- endif -%}
        {%- set metric = by_name[name] -%}
        {%- if metric.filter -%}
            {{ exceptions.raise_compiler_error("metric_table: metric `" ~ name ~ "` has a filter, which metric_table does not apply") }}
        {%- endif -%}
        {%- if metric.type not in ['simple', 'ratio', 'derived'] -%}
            {{ exceptions.raise_compiler_error("metric_table: metric `" ~ name ~ "` is a " ~ metric.type ~ " metric; metric_table computes simple, ratio and derived ones") }}
        {%- endif -%}
        {%- if name not in needed -%}{%- do needed.append(name) -%}{%- endif -%}
        {%- if metric.type == 'ratio' -%}
            {%- do next.append(metric.type_params.numerator.name) -%}
            {%- do next.append(metric.type_params.denominator.name) -%}
        {%- elif metric.type == 'derived' -%}
            {%- for input in metric.type_params.metrics -%}{%- do next.append(input.name) -%}{%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set state.pending = next -%}
{%- endfor -%}
{#- The measures of the simple metrics and the semantic models that declare them (a measure's
    name is unique across the project). -#}
{%- set model_names = [] -%}
{%- set measure_names = [] -%}
{%- for name in needed -%}
    {%- set metric = by_name[name] -%}
    {%- if metric.type == 'simple' -%}
        {%- set model = owner[metric.type_params.measure.name] -%}
        {%- if model.name not in model_names -%}{%- do model_names.append(model.name) -%}{%- endif -%}
        {%- if metric.type_params.measure.name not in measure_names -%}
            {%- do measure_names.append(metric.type_params.measure.name) -%}
        {%- endif -%}
    {%- endif -%}
{%- endfor -%}
{%- set keys = ['metric_time__' ~ grain] + dimensions -%}
with
{% for model_name in model_names -%}
{%- set model = semantic_models[model_name] -%}
{%- set columns = {} -%}
{%- for element in model.entities + model.dimensions -%}
    {%- do columns.update({element.name: element.expr or element.name}) -%}
{%- endfor -%}
{{ model_name }} as (
    select
        {{ metric_period(columns[model.defaults.agg_time_dimension], grain) }} as metric_time__{{ grain }},
        {%- for dimension in dimensions %}
        {%- if dimension not in columns -%}
            {{ exceptions.raise_compiler_error("metric_table: semantic model `" ~ model_name ~ "` has no entity or dimension `" ~ dimension ~ "`") }}
        {%- endif %}
        {{ columns[dimension] }} as {{ dimension }},
        {%- endfor %}
        {%- for measure in model.measures if measure.name in measure_names %}
        {%- if measure.agg_time_dimension and measure.agg_time_dimension != model.defaults.agg_time_dimension -%}
            {{ exceptions.raise_compiler_error("metric_table: measure `" ~ measure.name ~ "` aggregates over its own time dimension, which metric_table does not support") }}
        {%- endif %}
        {{ measure_aggregate(measure) }} as {{ measure.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model.node_relation.relation_name }}
    group by {% for key in keys %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
),
{% endfor -%}
periods as (
    {%- for model_name in model_names %}
    select {{ keys | join(', ') }} from {{ model_name }}
    {{ 'union' if not loop.last }}
    {%- endfor %}
),

measures as (
    select
        periods.*
        {%- for model_name in model_names %}
        {%- for measure in semantic_models[model_name].measures if measure.name in measure_names %},
        {{ model_name }}.{{ measure.name }}
        {%- endfor %}
        {%- endfor %}
    from periods
    {%- for model_name in model_names %}
    left join {{ model_name }}
        on {% for key in keys %}{{ model_name }}.{{ key }} is not distinct from periods.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    {%- endfor %}
),
{#- Each pass adds the metrics whose inputs the previous passes computed. -#}
{%- set done = namespace(names=[], layer='measures') %}
{%- for pass in range(10) %}
{%- if done.names | length < needed | length %}
{%- set ready = [] -%}
{%- set expressions = [] -%}
{%- for name in needed if name not in done.names -%}
    {%- set metric = by_name[name] -%}
    {%- set inputs = namespace(ready=true) -%}
    {%- if metric.type == 'ratio' -%}
        {%- set inputs.ready = metric.type_params.numerator.name in done.names and metric.type_params.denominator.name in done.names -%}
    {%- elif metric.type == 'derived' -%}
        {%- for input in metric.type_params.metrics if input.name not in done.names -%}{%- set inputs.ready = false -%}{%- endfor -%}
    {%- endif -%}
    {%- if inputs.ready -%}
        {%- do ready.append(name) -%}
        {%- if metric.type == 'simple' -%}
            {%- do expressions.append(none if name == metric.type_params.measure.name else metric.type_params.measure.name) -%}
        {%- elif metric.type == 'ratio' -%}
            {%- do expressions.append('cast(' ~ metric.type_params.numerator.name ~ ' as double precision) / nullif(' ~ metric.type_params.denominator.name ~ ', 0)') -%}
        {%- else -%}
            {%- do expressions.append(metric.type_params.expr) -%}
        {%- endif -%}
    {%- endif -%}
{%- endfor %}
metrics_{{ pass }} as (
    select
        {{ done.layer }}.*
        {%- for i in range(ready | length) if expressions[i] is not none %},
        {{ expressions[i] }} as {{ ready[i] }}
        {%- endfor %}
    from {{ done.layer }}
),
{%- set done.names = done.names + ready %}
{%- set done.layer = 'metrics_' ~ pass %}
{%- endif %}
{%- endfor %}

final as (
    select
        {{ keys | join(', ') }}
        {%- for name in metrics %},
        {{ name }}
        {%- endfor %}
    from {{ done.layer }}
)

select * from final
{%- endif -%}
{%- endmacro %}

{#- The period of `grain` a day serial falls in: the day itself, `yyyymm` or the year. -#}
{% macro metric_period(day_serial, grain) -%}
    {%- if grain == 'day' -%}{{ day_serial }}
    {%- elif grain == 'month' -%}{{ ux_year_month(day_serial) }}
    {%- elif grain == 'year' -%}{{ ux_year(day_serial) }}
    {%- else -%}{{ exceptions.raise_compiler_error("metric_table: the grains are day, month and year, not `" ~ grain ~ "`") }}
    {%- endif -%}
{%- endmacro %}

{#- A measure's aggregation over its expression (its name when it has none). -#}
{% macro measure_aggregate(measure) -%}
    {%- set expr = measure.expr or measure.name -%}
    {%- if measure.agg == 'count_distinct' -%}count(distinct {{ expr }})
    {%- elif measure.agg == 'average' -%}avg({{ expr }})
    {%- elif measure.agg == 'sum_boolean' -%}sum(case when {{ expr }} then 1 else 0 end)
    {%- elif measure.agg in ['sum', 'min', 'max', 'count'] -%}{{ measure.agg }}({{ expr }})
    {%- else -%}{{ exceptions.raise_compiler_error("metric_table: measure `" ~ measure.name ~ "` aggregates with " ~ measure.agg ~ ", which metric_table does not compute") }}
    {%- endif -%}
{%- endmacro %}
