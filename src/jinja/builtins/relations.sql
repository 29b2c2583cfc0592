{#- Schemas, relations and columns: the macros behind `adapter.create_schema`, `drop_relation`,
    `rename_relation`... and the helpers materializations use to name and find relations. -#}

{% macro create_schema(relation) %}{{ adapter.dispatch('create_schema', 'dbt')(relation) }}{% endmacro %}
{% macro default__create_schema(relation) -%}
    {%- call statement('create_schema') -%}create schema if not exists {{ relation.without_identifier() }}{%- endcall -%}
{%- endmacro %}
{#- Postgres names a schema without its database. -#}
{% macro postgres__create_schema(relation) -%}
    {%- call statement('create_schema') -%}create schema if not exists {{ relation.without_identifier().include(database=false) }}{%- endcall -%}
{%- endmacro %}

{% macro drop_schema(relation) %}{{ adapter.dispatch('drop_schema', 'dbt')(relation) }}{% endmacro %}
{% macro default__drop_schema(relation) -%}
    {%- call statement('drop_schema') -%}drop schema if exists {{ relation.without_identifier() }} cascade{%- endcall -%}
{%- endmacro %}
{% macro postgres__drop_schema(relation) -%}
    {%- call statement('drop_schema') -%}drop schema if exists {{ relation.without_identifier().include(database=false) }} cascade{%- endcall -%}
{%- endmacro %}

{#- A schema of the target's database, by its name alone. -#}
{% macro drop_schema_named(schema_name) %}{{ return(adapter.dispatch('drop_schema_named', 'dbt')(schema_name)) }}{% endmacro %}
{% macro default__drop_schema_named(schema_name) -%}
    {{ adapter.drop_schema(api.Relation.create(database=target.database, schema=schema_name)) }}
{%- endmacro %}

{% macro list_schemas(database) %}{{ return(adapter.dispatch('list_schemas', 'dbt')(database)) }}{% endmacro %}
{% macro default__list_schemas(database) -%}
    {%- set sql -%}select distinct schema_name from information_schema.schemata where catalog_name = '{{ database }}'{%- endset -%}
    {{ return(run_query(sql)) }}
{%- endmacro %}

{% macro check_schema_exists(information_schema, schema) %}{{ return(adapter.dispatch('check_schema_exists', 'dbt')(information_schema, schema)) }}{% endmacro %}
{% macro default__check_schema_exists(information_schema, schema) -%}
    {%- set sql -%}select count(*) from information_schema.schemata where lower(schema_name) = lower('{{ schema }}'){%- endset -%}
    {{ return(run_query(sql)) }}
{%- endmacro %}

{% macro information_schema_name(database) %}{{ return(adapter.dispatch('information_schema_name', 'dbt')(database)) }}{% endmacro %}
{% macro default__information_schema_name(database) -%}
    {%- if database -%}{{ adapter.quote(database) }}.information_schema{%- else -%}information_schema{%- endif -%}
{%- endmacro %}
{% macro postgres__information_schema_name(database) %}information_schema{% endmacro %}

{#- The relations of a schema, as a table of database, name, schema and type. -#}
{% macro list_relations_without_caching(schema_relation) %}{{ return(adapter.dispatch('list_relations_without_caching', 'dbt')(schema_relation)) }}{% endmacro %}
{% macro default__list_relations_without_caching(schema_relation) -%}
    {%- set sql -%}
    select table_catalog as database, table_name as name, table_schema as schema,
        case when table_type = 'VIEW' then 'view' else 'table' end as type
    from information_schema.tables
    where lower(table_schema) = lower('{{ schema_relation.schema }}')
    {%- endset -%}
    {{ return(run_query(sql)) }}
{%- endmacro %}

{% macro get_columns_in_relation(relation) %}{{ return(adapter.get_columns_in_relation(relation)) }}{% endmacro %}

{#- The column names a query returns, from running it with no rows. -#}
{% macro get_columns_in_query(select_sql) %}{{ return(adapter.dispatch('get_columns_in_query', 'dbt')(select_sql)) }}{% endmacro %}
{% macro default__get_columns_in_query(select_sql) -%}
    {%- call statement('get_columns_in_query', fetch_result=True, auto_begin=False) -%}
        {{ get_empty_subquery_sql(select_sql) }}
    {%- endcall -%}
    {%- set result = load_result('get_columns_in_query') -%}
    {{ return(result['table'].column_names if result else []) }}
{%- endmacro %}

{% macro get_column_schema_from_query(select_sql, select_sql_header=none) %}
    {{ return(adapter.get_column_schema_from_query(get_empty_subquery_sql(select_sql, select_sql_header))) }}
{% endmacro %}

{% macro get_empty_subquery_sql(select_sql, select_sql_header=none) %}{{ return(adapter.dispatch('get_empty_subquery_sql', 'dbt')(select_sql, select_sql_header)) }}{% endmacro %}
{% macro default__get_empty_subquery_sql(select_sql, select_sql_header=none) -%}
    {%- if select_sql_header is not none -%}{{ select_sql_header }}{%- endif %}
    select * from (
        {{ select_sql }}
    ) as __dbt_sbq
    where false
    limit 0
{%- endmacro %}

{% macro alter_column_type(relation, column_name, new_column_type) %}{{ return(adapter.dispatch('alter_column_type', 'dbt')(relation, column_name, new_column_type)) }}{% endmacro %}
{% macro default__alter_column_type(relation, column_name, new_column_type) -%}
    {%- call statement('alter_column_type') -%}
        alter table {{ relation }} alter column {{ adapter.quote(column_name) }} type {{ new_column_type }}
    {%- endcall -%}
{%- endmacro %}

{% macro alter_relation_add_remove_columns(relation, add_columns=none, remove_columns=none) %}{{ return(adapter.dispatch('alter_relation_add_remove_columns', 'dbt')(relation, add_columns, remove_columns)) }}{% endmacro %}
{% macro default__alter_relation_add_remove_columns(relation, add_columns, remove_columns) -%}
    {%- for column in add_columns or [] -%}
        {%- call statement('add_column') -%}alter {{ relation.type or 'table' }} {{ relation }} add column {{ column.quoted }} {{ column.data_type }}{%- endcall -%}
    {%- endfor -%}
    {%- for column in remove_columns or [] -%}
        {%- call statement('remove_column') -%}alter {{ relation.type or 'table' }} {{ relation }} drop column {{ column.quoted }}{%- endcall -%}
    {%- endfor -%}
{%- endmacro %}

{% macro alter_relation_comment(relation, relation_comment) %}{{ return(adapter.dispatch('alter_relation_comment', 'dbt')(relation, relation_comment)) }}{% endmacro %}
{% macro default__alter_relation_comment(relation, relation_comment) -%}
    {%- call statement('alter_relation_comment') -%}
        comment on {{ 'view' if relation.type == 'view' else 'table' }} {{ relation }} is '{{ relation_comment | replace("'", "''") }}'
    {%- endcall -%}
{%- endmacro %}

{#- Comments the documented columns the relation has. -#}
{% macro alter_column_comment(relation, column_dict) %}{{ return(adapter.dispatch('alter_column_comment', 'dbt')(relation, column_dict)) }}{% endmacro %}
{% macro default__alter_column_comment(relation, column_dict) -%}
    {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- for column_name in column_dict if column_name | lower in existing -%}
        {%- set description = column_dict[column_name]['description'] | default('', true) -%}
        {%- call statement('alter_column_comment') -%}
            comment on column {{ relation }}.{{ adapter.quote(column_name) }} is '{{ description | replace("'", "''") }}'
        {%- endcall -%}
    {%- endfor -%}
{%- endmacro %}

{% macro persist_docs(relation, model, for_relation=true, for_columns=true) %}{{ return(adapter.dispatch('persist_docs', 'dbt')(relation, model, for_relation, for_columns)) }}{% endmacro %}
{% macro default__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set persist = config.get('persist_docs', {}) or {} -%}
    {%- if for_relation and persist.get('relation') and model.description -%}
        {{ alter_relation_comment(relation, model.description) }}
    {%- endif -%}
    {%- if for_columns and persist.get('columns') and model.columns -%}
        {{ alter_column_comment(relation, model.columns) }}
    {%- endif -%}
{%- endmacro %}

{% macro get_drop_sql(relation) %}{{ return(adapter.dispatch('get_drop_sql', 'dbt')(relation)) }}{% endmacro %}
{% macro default__get_drop_sql(relation) -%}
    drop {{ 'view' if relation.type == 'view' else 'table' }} if exists {{ relation }} cascade
{%- endmacro %}

{% macro drop_relation(relation) %}{{ return(adapter.dispatch('drop_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__drop_relation(relation) -%}
    {%- call statement('drop_relation', auto_begin=false) -%}{{ get_drop_sql(relation) }}{%- endcall -%}
{%- endmacro %}

{% macro drop_relation_if_exists(relation) %}
    {%- if relation is not none -%}{{ adapter.drop_relation(relation) }}{%- endif -%}
{% endmacro %}

{% macro truncate_relation(relation) %}{{ return(adapter.dispatch('truncate_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__truncate_relation(relation) -%}
    {%- call statement('truncate_relation') -%}truncate table {{ relation }}{%- endcall -%}
{%- endmacro %}

{% macro get_rename_sql(relation, new_name) %}{{ return(adapter.dispatch('get_rename_sql', 'dbt')(relation, new_name)) }}{% endmacro %}
{% macro default__get_rename_sql(relation, new_name) -%}
    alter {{ 'view' if relation.type == 'view' else 'table' }} {{ relation }} rename to {{ adapter.quote(new_name) }}
{%- endmacro %}

{% macro rename_relation(from_relation, to_relation) %}{{ return(adapter.dispatch('rename_relation', 'dbt')(from_relation, to_relation)) }}{% endmacro %}
{% macro default__rename_relation(from_relation, to_relation) -%}
    {%- call statement('rename_relation') -%}{{ get_rename_sql(from_relation, to_relation.identifier) }}{%- endcall -%}
{%- endmacro %}

{#- A relation beside `base_relation`, named with a suffix, for building before a swap. uxt sends
    each statement on a connection of its pool, so these are ordinary relations of the schema,
    never session-scoped temporary tables. -#}
{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') %}{{ return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) }}{% endmacro %}
{% macro default__make_temp_relation(base_relation, suffix) -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}
{%- endmacro %}

{% macro make_intermediate_relation(base_relation, suffix='__dbt_tmp') %}{{ return(adapter.dispatch('make_intermediate_relation', 'dbt')(base_relation, suffix)) }}{% endmacro %}
{% macro default__make_intermediate_relation(base_relation, suffix) -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}
{%- endmacro %}

{% macro make_backup_relation(base_relation, backup_relation_type, suffix='__dbt_backup') %}{{ return(adapter.dispatch('make_backup_relation', 'dbt')(base_relation, backup_relation_type, suffix)) }}{% endmacro %}
{% macro default__make_backup_relation(base_relation, backup_relation_type, suffix) -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix}, type=backup_relation_type)) }}
{%- endmacro %}

{#- The relation as it exists in the warehouse, or none. -#}
{% macro load_cached_relation(relation) %}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{% endmacro %}

{% macro load_relation(relation) %}{{ return(load_cached_relation(relation)) }}{% endmacro %}

{#- Whether the relation exists, and the relation (the existing one, or a new one of `type`). -#}
{% macro get_or_create_relation(database, schema, identifier, type) %}{{ return(adapter.dispatch('get_or_create_relation', 'dbt')(database, schema, identifier, type)) }}{% endmacro %}
{% macro default__get_or_create_relation(database, schema, identifier, type) -%}
    {%- set existing = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- if existing -%}{{ return([true, existing]) }}{%- endif -%}
    {{ return([false, api.Relation.create(database=database, schema=schema, identifier=identifier, type=type)]) }}
{%- endmacro %}

{#- The tested relation, narrowed by the test's `where` config. -#}
{% macro get_where_subquery(relation) %}{{ return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) }}{% endmacro %}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}{{ return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") }}{%- else -%}{{ return(relation) }}{%- endif -%}
{%- endmacro %}

{#- Index DDL as dbt-postgres writes it; the name hashes the index's definition and time. -#}
{% macro get_create_index_sql(relation, index_dict) %}{{ return(adapter.dispatch('get_create_index_sql', 'dbt')(relation, index_dict)) }}{% endmacro %}
{% macro default__get_create_index_sql(relation, index_dict) -%}
    {%- set columns = index_dict['columns'] -%}
    {%- set name = local_md5(columns | join('_') ~ (index_dict.get('unique') | string) ~ (index_dict.get('type') | string) ~ relation.identifier ~ py_current_timestring()) -%}
    create {% if index_dict.get('unique') %}unique {% endif %}index if not exists {{ adapter.quote(name) }}
    on {{ relation }}{% if index_dict.get('type') %} using {{ index_dict['type'] }}{% endif %}
    ({{ columns | join(', ') }})
{%- endmacro %}

{% macro create_indexes(relation) %}
    {%- for index in config.get('indexes', default=[]) or [] -%}
        {%- call statement('create_index') -%}{{ get_create_index_sql(relation, index) }}{%- endcall -%}
    {%- endfor -%}
{% endmacro %}
