{#- The helpers dbt's materializations are written with, for materializations a project or
    package defines itself (`{% materialization name, adapter='x' %}`). uxt's own view, table,
    incremental, ephemeral, seed and snapshot materializations are written in Rust. -#}

{% macro create_table_as(temporary, relation, compiled_code, language='sql') %}{{ return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code, language)) }}{% endmacro %}
{#- `temporary` builds an ordinary table: uxt's statements share no session (see make_temp_relation). -#}
{% macro default__create_table_as(temporary, relation, sql, language='sql') -%}
    {%- if language != 'sql' -%}{{ exceptions.raise_compiler_error("uxt builds tables from SQL only, not " ~ language) }}{%- endif -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create table {{ relation }} as (
        {{ sql }}
    );
{%- endmacro %}

{% macro get_create_table_as_sql(temporary, relation, sql) %}{{ return(adapter.dispatch('get_create_table_as_sql', 'dbt')(temporary, relation, sql)) }}{% endmacro %}
{% macro default__get_create_table_as_sql(temporary, relation, sql) %}{{ return(create_table_as(temporary, relation, sql)) }}{% endmacro %}

{% macro create_view_as(relation, sql) %}{{ return(adapter.dispatch('create_view_as', 'dbt')(relation, sql)) }}{% endmacro %}
{% macro default__create_view_as(relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create view {{ relation }} as (
        {{ sql }}
    );
{%- endmacro %}

{% macro get_create_view_as_sql(relation, sql) %}{{ return(adapter.dispatch('get_create_view_as_sql', 'dbt')(relation, sql)) }}{% endmacro %}
{% macro default__get_create_view_as_sql(relation, sql) %}{{ return(create_view_as(relation, sql)) }}{% endmacro %}

{#- The statement that builds `relation` (a table or a view) from `sql`. -#}
{% macro get_create_sql(relation, sql) %}{{ return(adapter.dispatch('get_create_sql', 'dbt')(relation, sql)) }}{% endmacro %}
{% macro default__get_create_sql(relation, sql) -%}
    {%- if relation.is_view -%}{{ get_create_view_as_sql(relation, sql) }}
    {%- elif relation.is_table -%}{{ get_create_table_as_sql(false, relation, sql) }}
    {%- else -%}{{ exceptions.raise_compiler_error("get_create_sql builds tables and views, not " ~ relation.type) }}
    {%- endif -%}
{%- endmacro %}

{% macro get_create_intermediate_sql(relation, sql) %}{{ return(adapter.dispatch('get_create_intermediate_sql', 'dbt')(relation, sql)) }}{% endmacro %}
{% macro default__get_create_intermediate_sql(relation, sql) -%}
    {%- set intermediate = make_intermediate_relation(relation) -%}
    {{ get_drop_sql(intermediate) }};
    {{ get_create_sql(intermediate, sql) }}
{%- endmacro %}

{#- Replaces `existing_relation` by `target_relation` built from `sql`: a view in place, anything
    else dropped first. -#}
{% macro get_replace_sql(existing_relation, target_relation, sql) %}{{ return(adapter.dispatch('get_replace_sql', 'dbt')(existing_relation, target_relation, sql)) }}{% endmacro %}
{% macro default__get_replace_sql(existing_relation, target_relation, sql) -%}
    {%- if existing_relation is not none and existing_relation.is_view and target_relation.is_view -%}
    create or replace view {{ target_relation }} as (
        {{ sql }}
    )
    {%- else -%}
    {%- if existing_relation is not none -%}{{ get_drop_sql(existing_relation) }};{%- endif %}
    {{ get_create_sql(target_relation, sql) }}
    {%- endif -%}
{%- endmacro %}

{#- The view of the current model, built with `create or replace view`. -#}
{% macro create_or_replace_view() %}
    {%- set identifier = model['alias'] -%}
    {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- set target_relation = api.Relation.create(identifier=identifier, schema=schema, database=database, type='view') -%}
    {{ run_hooks(pre_hooks) }}
    {%- if old_relation is not none and not old_relation.is_view -%}
        {{ drop_relation_if_exists(old_relation) }}
    {%- endif -%}
    {%- call statement('main') -%}
        create or replace view {{ target_relation }} as (
            {{ sql }}
        )
    {%- endcall -%}
    {{ persist_docs(target_relation, model) }}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{% macro should_full_refresh() %}
    {%- set configured = config.get('full_refresh') -%}
    {{ return(flags.FULL_REFRESH if configured is none else configured) }}
{% endmacro %}

{% macro should_store_failures() %}
    {%- set configured = config.get('store_failures') -%}
    {{ return(flags.STORE_FAILURES if configured is none else configured) }}
{% endmacro %}

{#- Runs the hooks of one side of the transaction (`inside_transaction`), each rendered first. -#}
{% macro run_hooks(hooks, inside_transaction=true) %}
    {%- for hook in hooks | selectattr('transaction', 'equalto', inside_transaction) -%}
        {%- set sql = render(hook.get('sql')) | trim -%}
        {%- if sql | length > 0 -%}
            {%- call statement(auto_begin=inside_transaction) -%}{{ sql }}{%- endcall -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{% macro make_hook_config(sql, inside_transaction) %}{{ tojson({"sql": sql, "transaction": inside_transaction}) }}{% endmacro %}
{% macro before_begin(sql) %}{{ make_hook_config(sql, inside_transaction=false) }}{% endmacro %}
{% macro in_transaction(sql) %}{{ make_hook_config(sql, inside_transaction=true) }}{% endmacro %}
{% macro after_commit(sql) %}{{ make_hook_config(sql, inside_transaction=false) }}{% endmacro %}

{% macro get_quoted_csv(column_names) -%}
    {%- set quoted = [] -%}
    {%- for name in column_names -%}{%- do quoted.append(adapter.quote(name)) -%}{%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}

{% macro get_true_sql() %}{{ return('TRUE') }}{% endmacro %}

{#- The columns a merge updates: `merge_update_columns`, or all but `merge_exclude_columns`. -#}
{% macro get_merge_update_columns(merge_update_columns, merge_exclude_columns, dest_columns) %}{{ return(adapter.dispatch('get_merge_update_columns', 'dbt')(merge_update_columns, merge_exclude_columns, dest_columns)) }}{% endmacro %}
{% macro default__get_merge_update_columns(merge_update_columns, merge_exclude_columns, dest_columns) -%}
    {%- if merge_update_columns and merge_exclude_columns -%}
        {{ exceptions.raise_compiler_error('model cannot specify merge_update_columns and merge_exclude_columns: choose one') }}
    {%- elif merge_update_columns -%}{{ return(merge_update_columns) }}
    {%- else -%}
        {%- set excluded = (merge_exclude_columns or []) | map('lower') | list -%}
        {%- set columns = [] -%}
        {%- for column in dest_columns if column.column | lower not in excluded -%}{%- do columns.append(column.quoted) -%}{%- endfor -%}
        {{ return(columns) }}
    {%- endif -%}
{%- endmacro %}

{% macro get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {{ adapter.dispatch('get_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates) }}
{%- endmacro %}
{% macro default__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {%- set predicates = [] -%}
    {%- for predicate in incremental_predicates or [] -%}{%- do predicates.append(predicate) -%}{%- endfor -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- set update_columns = get_merge_update_columns(config.get('merge_update_columns'), config.get('merge_exclude_columns'), dest_columns) -%}
    {%- if unique_key -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- for key in keys -%}
            {%- do predicates.append("DBT_INTERNAL_SOURCE." ~ key ~ " = DBT_INTERNAL_DEST." ~ key) -%}
        {%- endfor -%}
    {%- else -%}
        {%- do predicates.append('FALSE') -%}
    {%- endif %}
    {{ config.get('sql_header', none) or '' }}
    merge into {{ target }} as DBT_INTERNAL_DEST
        using {{ source }} as DBT_INTERNAL_SOURCE
        on {{ "(" ~ predicates | join(") and (") ~ ")" }}
    {%- if unique_key %}
    when matched then update set
        {% for column in update_columns -%}{{ column }} = DBT_INTERNAL_SOURCE.{{ column }}{% if not loop.last %}, {% endif %}{%- endfor %}
    {%- endif %}
    when not matched then insert ({{ dest_cols_csv }})
    values ({{ dest_cols_csv }})
{%- endmacro %}

{% macro get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {{ adapter.dispatch('get_delete_insert_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates) }}
{%- endmacro %}
{% macro default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- if unique_key -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key %}
    delete from {{ target }}
    where ({{ keys | join(', ') }}) in (select distinct {{ keys | join(', ') }} from {{ source }})
    {%- for predicate in incremental_predicates or [] %} and {{ predicate }}{% endfor %};
    {%- endif %}
    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
{%- endmacro %}

{% macro get_insert_overwrite_merge_sql(target, source, dest_columns, predicates, include_sql_header=false) -%}
    {{ adapter.dispatch('get_insert_overwrite_merge_sql', 'dbt')(target, source, dest_columns, predicates, include_sql_header) }}
{%- endmacro %}
{% macro default__get_insert_overwrite_merge_sql(target, source, dest_columns, predicates, include_sql_header) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- if include_sql_header %}{{ config.get('sql_header', none) or '' }}{% endif %}
    merge into {{ target }} as DBT_INTERNAL_DEST
        using {{ source }} as DBT_INTERNAL_SOURCE
        on FALSE
    when not matched by source{% if predicates %} and {{ predicates | join(' and ') }}{% endif %}
        then delete
    when not matched then insert ({{ dest_cols_csv }})
        values ({{ dest_cols_csv }})
{%- endmacro %}

{% macro get_insert_into_sql(target_relation, temp_relation, dest_columns) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    insert into {{ target_relation }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ temp_relation }}
{%- endmacro %}

{#- Incremental strategies by name, each given dbt's `arg_dict`: target_relation, temp_relation,
    unique_key, dest_columns, incremental_predicates. -#}
{% macro get_incremental_append_sql(arg_dict) %}{{ return(adapter.dispatch('get_incremental_append_sql', 'dbt')(arg_dict)) }}{% endmacro %}
{% macro default__get_incremental_append_sql(arg_dict) %}{{ return(get_insert_into_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["dest_columns"])) }}{% endmacro %}

{% macro get_incremental_delete_insert_sql(arg_dict) %}{{ return(adapter.dispatch('get_incremental_delete_insert_sql', 'dbt')(arg_dict)) }}{% endmacro %}
{% macro default__get_incremental_delete_insert_sql(arg_dict) %}{{ return(get_delete_insert_merge_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["unique_key"], arg_dict["dest_columns"], arg_dict["incremental_predicates"])) }}{% endmacro %}

{% macro get_incremental_merge_sql(arg_dict) %}{{ return(adapter.dispatch('get_incremental_merge_sql', 'dbt')(arg_dict)) }}{% endmacro %}
{% macro default__get_incremental_merge_sql(arg_dict) %}{{ return(get_merge_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["unique_key"], arg_dict["dest_columns"], arg_dict["incremental_predicates"])) }}{% endmacro %}

{% macro get_incremental_insert_overwrite_sql(arg_dict) %}{{ return(adapter.dispatch('get_incremental_insert_overwrite_sql', 'dbt')(arg_dict)) }}{% endmacro %}
{% macro default__get_incremental_insert_overwrite_sql(arg_dict) %}{{ return(get_insert_overwrite_merge_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["dest_columns"], arg_dict["incremental_predicates"])) }}{% endmacro %}

{% macro get_incremental_default_sql(arg_dict) %}{{ return(adapter.dispatch('get_incremental_default_sql', 'dbt')(arg_dict)) }}{% endmacro %}
{% macro default__get_incremental_default_sql(arg_dict) %}{{ return(get_incremental_append_sql(arg_dict)) }}{% endmacro %}
{#- dbt-duckdb replaces rows by key when the model has one. -#}
{% macro duckdb__get_incremental_default_sql(arg_dict) -%}
    {%- if arg_dict["unique_key"] -%}{{ return(get_incremental_delete_insert_sql(arg_dict)) }}
    {%- else -%}{{ return(get_incremental_append_sql(arg_dict)) }}{%- endif -%}
{%- endmacro %}

{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') %}
    {%- if on_schema_change not in ['sync_all_columns', 'append_new_columns', 'fail', 'ignore'] -%}
        {%- do exceptions.warn("Invalid value for on_schema_change (" ~ on_schema_change ~ ") specified. Setting default value of " ~ default ~ ".") -%}
        {{ return(default) }}
    {%- else -%}{{ return(on_schema_change) }}{%- endif -%}
{% endmacro %}

{% macro get_limit_subquery_sql(sql, limit) %}{{ return(adapter.dispatch('get_limit_sql', 'dbt')(sql, limit)) }}{% endmacro %}
{% macro default__get_limit_sql(sql, limit) -%}
    {{ sql }}
    {% if limit is not none %}limit {{ limit }}{% endif %}
{%- endmacro %}

{% macro get_show_sql(compiled_code, sql_header, limit) -%}
    {%- if sql_header is not none %}{{ sql_header }}{% endif %}
    {%- if limit is not none %}
    select * from (
        {{ compiled_code }}
    ) as model_limit_subq
    limit {{ limit }}
    {%- else %}
    {{ compiled_code }}
    {%- endif -%}
{%- endmacro %}
