//! What dbt-postgres and dbt-duckdb do with a model's `indexes`, `unlogged` and `sql_header`, on
//! both engines: the indexes of tables, incremental models, seeds and snapshots made with the
//! relation and never piled up by rebuilds, unlogged tables where the engine has them, and a
//! warning where it does not.

use crate::engines::{Engine, query};
use crate::harness::Project;

const PROJECT: &str = "\
name: configs
version: '1.0'
config-version: 2
profile: configs
seeds:
  configs:
    codes:
      +indexes: [{columns: [code], unique: true}]
";

/// The same project as the dbt comparison that these expectations come from.
fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "configs");
    project.write("dbt_project.yml", PROJECT);
    project.write(
        "models/indexed.sql",
        "{{ config(materialized='table', unlogged=true, indexes=[\n\
         {'columns': ['id'], 'unique': true}, {'columns': ['name'], 'type': 'hash'}]) }}\n\
         {% call set_sql_header(config) %}\n\
         create temporary table if not exists header_ran as select 7 as seven;\n\
         {% endcall %}\n\
         select id, name, (select seven from header_ran) as seven\n\
         from (values (1, 'a'), (2, 'b')) as t (id, name)\n",
    );
    project.write(
        "models/events.sql",
        "{{ config(materialized='incremental', unique_key='id', indexes=[{'columns': ['id']}]) }}\n\
         select 1 as id, 'x' as what\n",
    );
    project.write("seeds/codes.csv", "code,label\n1,one\n2,two\n");
    project.write(
        "snapshots/codes_history.sql",
        "{% snapshot codes_history %}\n\
         {{ config(unique_key='code', strategy='check', check_cols='all', \
         indexes=[{'columns': ['code']}]) }}\n\
         select * from {{ ref('codes') }}\n\
         {% endsnapshot %}\n",
    );
    project
}

/// Each relation's indexes: `relation|unique|columns`, sorted.
fn indexes(engine: &Engine, project: &Project) -> Vec<String> {
    let sql = match engine {
        Engine::DuckDb => {
            "select table_name as relation, is_unique as is_unique, \
             replace(regexp_extract(sql, '\\(([^)]*)\\);?$', 1), '\"', '') as columns \
             from duckdb_indexes() order by 1, 3"
        }
        Engine::Postgres(_) => {
            "select t.relname as relation, i.indisunique as is_unique, \
             regexp_replace(pg_get_indexdef(i.indexrelid), '^.*USING \\w+ \\((.*)\\)$', '\\1') \
             || coalesce(' ' || nullif(am.amname, 'btree'), '') as columns \
             from pg_index i join pg_class t on t.oid = i.indrelid \
             join pg_class x on x.oid = i.indexrelid join pg_am am on am.oid = x.relam \
             join pg_namespace n on n.oid = t.relnamespace \
             where n.nspname = 'public' order by 1, 3"
        }
    };
    query(project, sql)
}

#[test]
fn indexes_unlogged_and_sql_header_are_built_as_dbt_builds_them() {
    for engine in Engine::all() {
        let project = project(&engine);
        let first = project.run(&["build"]);
        assert_eq!(first.code(), 0, "{}: {first:?}", engine.name());
        // Rebuilt, refreshed and loaded again: each index still there once.
        for args in [
            &["build"][..],
            &["run", "--full-refresh"],
            &["seed", "--full-refresh"],
        ] {
            let again = project.run(args);
            assert_eq!(again.code(), 0, "{}: {again:?}", engine.name());
        }
        let expected_indexes = match engine {
            Engine::DuckDb => [
                "relation,is_unique,columns",
                "codes,true,code",
                "codes_history,false,code",
                "events,false,id",
                "indexed,true,id",
                "indexed,false,name",
            ],
            Engine::Postgres(_) => [
                "relation,is_unique,columns",
                "codes,true,code",
                "codes_history,false,code",
                "events,false,id",
                "indexed,true,id",
                "indexed,false,name hash",
            ],
        };
        assert_eq!(
            indexes(&engine, &project),
            expected_indexes,
            "{}",
            engine.name()
        );
        // The header ran in the statement's own session, before the `create`.
        assert_eq!(
            query(&project, "select * from {{ ref('indexed') }} order by id"),
            ["id,name,seven", "1,a,7", "2,b,7"],
            "{}",
            engine.name()
        );
        match engine {
            Engine::Postgres(postgres) => {
                let db = postgres_database(&project);
                assert_eq!(
                    postgres.psql(
                        &db,
                        "select relname, relpersistence from pg_class \
                         where relname in ('indexed', 'events', 'codes') order by 1"
                    ),
                    "codes|p\nevents|p\nindexed|u"
                );
                assert!(!first.stdout().contains("[WARNING]"), "{first:?}");
            }
            Engine::DuckDb => {
                for warning in [
                    "uxt::config::unsupported",
                    "model `indexed`: `unlogged` is ignored: this engine has no unlogged tables",
                    "model `indexed`: index `type: hash` is ignored: this engine has one kind of",
                ] {
                    assert!(first.stderr().contains(warning), "{first:?}");
                }
            }
        }
    }
}

#[test]
fn an_index_config_that_is_not_a_list_of_mappings_fails_the_model() {
    for engine in Engine::all() {
        let project = engine.project_from(Project::empty(), "configs");
        project.write("dbt_project.yml", PROJECT);
        project.write(
            "models/bad.sql",
            "{{ config(materialized='table', indexes=[{'column': 'id'}]) }}\nselect 1 as id\n",
        );
        let out = project.run(&["run"]);
        assert_eq!(out.code(), 1, "{}: {out:?}", engine.name());
        assert!(
            out.stdout().contains(
                "invalid index `{\"column\":\"id\"}`: each entry of `indexes` is a mapping with \
                 `columns` (a list) and optionally `unique` (true or false) and `type`"
            ),
            "{}: {out:?}",
            engine.name()
        );
    }
}

/// The database a Postgres profile of the harness points at.
fn postgres_database(project: &Project) -> String {
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml"))
        .expect("the harness wrote profiles.yml");
    profiles
        .lines()
        .find_map(|line| line.trim().strip_prefix("dbname: "))
        .expect("a Postgres profile names its database")
        .to_owned()
}
