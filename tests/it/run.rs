//! `uxt run` on a dbt project, on both engines: tables and rows, incremental merges, failures.

use crate::engines::{Engine, query};

#[test]
fn dbt_project_runs_unchanged_and_incremental_merges_on_second_run() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        let first = project.run(&["run"]);
        assert_eq!(first.code(), 0, "{}: {first:?}", engine.name());
        assert!(
            first
                .stdout()
                .contains("Done. PASS=6 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=6"),
            "{}: {first:?}",
            engine.name()
        );
        assert!(first.stdout().contains("START sql view model"), "{first:?}");

        let customers = query(
            &project,
            "select customer_id, first_name, order_count, total_amount from {{ ref('customers') }} order by 1",
        );
        assert_eq!(
            customers,
            [
                "customer_id,first_name,order_count,total_amount",
                "1,Ada,2,35.50",
                "2,Brin,0,0.00",
                "3,Cato,1,9.90"
            ],
            "{}",
            engine.name()
        );

        let second = project.run(&["run", "--select", "order_events", "--vars", "{batch: 2}"]);
        assert_eq!(second.code(), 0, "{}: {second:?}", engine.name());
        let events = query(
            &project,
            "select event_id, state from {{ ref('order_events') }} order by 1",
        );
        assert_eq!(
            events,
            [
                "event_id,state",
                "1,placed",
                "2,placed",
                "3,shipped",
                "4,placed"
            ],
            "{}",
            engine.name()
        );

        let refreshed = project.run(&["run", "--select", "order_events", "--full-refresh"]);
        assert_eq!(refreshed.code(), 0, "{refreshed:?}");
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('order_events') }}"
            ),
            ["n", "3"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn failed_table_keeps_previous_version_and_skips_descendants() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        assert_eq!(project.run(&["run"]).code(), 0);
        project.write(
            "models/staging/stg_customers.sql",
            "select customer_id, first_name from {{ ref('stg_orders') }} where no_such_column = 1",
        );
        let failed = project.run(&["run"]);
        assert_eq!(failed.code(), 1, "{}: {failed:?}", engine.name());
        assert!(
            failed.stdout().contains("ERROR creating sql view model"),
            "{failed:?}"
        );
        assert!(failed.stdout().contains("SKIP relation"), "{failed:?}");
        assert!(failed.stdout().contains("compiled code at"), "{failed:?}");
        assert!(
            failed.stdout().contains("ERROR=1 SKIP=1"),
            "{}: {failed:?}",
            engine.name()
        );
        // The old view and the table built from it are still there and queryable.
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('stg_customers') }}"
            ),
            ["n", "3"],
            "{}",
            engine.name()
        );
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('customers') }}"),
            ["n", "3"],
            "{}",
            engine.name()
        );
        let results =
            std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap();
        assert!(
            results.contains("\"status\":\"error\"") && results.contains("\"status\":\"skipped\""),
            "{results}"
        );
    }
}

#[test]
fn a_compile_error_fails_its_node_and_skips_descendants_while_the_rest_runs() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        project.write(
            "models/staging/stg_orders.sql",
            "select 1 as order_id, 1 as customer_id\n\
             {% if execute %}{{ exceptions.raise_compiler_error('orders are not ready') }}{% endif %}\n",
        );
        project.write(
            "models/ready.sql",
            "{{ config(materialized='ephemeral') }}\n\
             {{ exceptions.raise_compiler_error('payments are not ready') if execute }}\n\
             select 1 as n",
        );
        project.write("models/uses_ready.sql", "select n from {{ ref('ready') }}");
        // A method dbt's adapter does not have fails its model when it compiles, not the parse.
        project.write(
            "models/odd_method.sql",
            "select 1 as n {{ adapter.no_such_method() }}",
        );
        let output = project.run(&["build"]);
        assert_eq!(output.code(), 1, "{}: {output:?}", engine.name());
        assert!(
            output
                .stdout()
                .contains("Compilation Error in model stg_orders (models/staging/stg_orders.sql)")
                && output
                    .stdout()
                    .contains("orders are not ready (models/staging/stg_orders.sql:2)"),
            "{output:?}"
        );
        // An ephemeral parent's error is printed with its child, with the parent's file and
        // line.
        assert!(
            output
                .stdout()
                .contains("payments are not ready (models/ready.sql:2)")
                && output.stdout().contains(
                    "Compilation Error in model.shop.uses_ready, caused by compilation error in referenced ephemeral model model.shop.ready"
                ),
            "{output:?}"
        );
        assert!(
            output
                .stdout()
                .contains("`adapter.no_such_method` is not a method of dbt's adapter"),
            "{output:?}"
        );
        let text = std::fs::read_to_string(project.path().join("target/run_results.json"))
            .expect("run_results.json is written");
        let results: serde_json::Value = serde_json::from_str(&text).expect("it is JSON");
        let status = |id: &str| {
            let result = results["results"]
                .as_array()
                .expect("a list of results")
                .iter()
                .find(|result| result["unique_id"] == id)
                .unwrap_or_else(|| panic!("{id} in {text}"));
            (
                result["status"].as_str().unwrap_or_default().to_string(),
                result["compiled"].as_bool(),
            )
        };
        let expected = [
            ("model.shop.stg_orders", "error", Some(false)),
            ("model.shop.odd_method", "error", Some(false)),
            // As in dbt, a model whose ephemeral parent failed to compile is skipped, with
            // a message naming that parent.
            ("model.shop.uses_ready", "skipped", Some(false)),
            ("model.shop.customers", "skipped", Some(false)),
            ("model.shop.stg_customers", "success", Some(true)),
            ("model.shop.order_events", "success", Some(true)),
        ];
        for (id, word, compiled) in expected {
            assert_eq!(
                status(id),
                (word.to_string(), compiled),
                "{}: {id}: {text}",
                engine.name()
            );
        }
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('order_events') }}"
            ),
            ["n", "3"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn fail_fast_stops_after_the_first_failure() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write("models/staging/stg_customers.sql", "select * from nowhere");
    // One worker takes the ready models in order: `stg_orders` comes after the failing
    // `stg_customers` and does not depend on it, so only `--fail-fast` keeps it from running.
    let status = |id: &str| {
        let text = std::fs::read_to_string(project.path().join("target/run_results.json"))
            .expect("run_results.json is written");
        let results: serde_json::Value = serde_json::from_str(&text).expect("it is JSON");
        results["results"]
            .as_array()
            .expect("a list of results")
            .iter()
            .find(|result| result["unique_id"] == id)
            .and_then(|result| result["status"].as_str().map(str::to_owned))
    };
    let output = project.run(&["run", "--fail-fast", "--threads", "1"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(output.stdout().contains("ERROR=1"), "{output:?}");
    assert_eq!(status("model.shop.stg_customers").as_deref(), Some("error"));
    assert_eq!(status("model.shop.stg_orders").as_deref(), Some("skipped"));
    let output = project.run(&["run", "--threads", "1"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert_eq!(status("model.shop.stg_orders").as_deref(), Some("success"));
    // The project's `flags: {fail_fast: true}` asks for the same, without a warning.
    let project_file = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project.write(
        "dbt_project.yml",
        format!("{project_file}\nflags:\n  fail_fast: true\n"),
    );
    let output = project.run(&["run", "--threads", "1"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        !output.stderr().contains("uxt::project::unused_key"),
        "{output:?}"
    );
    assert_eq!(status("model.shop.stg_orders").as_deref(), Some("skipped"));
}

#[test]
fn a_model_whose_hook_refs_another_runs_after_it() {
    let project = Engine::DuckDb.project("shop", "shop");
    // One worker takes ready models by name: only the hook's `ref` puts `b_late` first.
    project.write(
        "models/a_hooked.sql",
        "{{ config(materialized='table', post_hook=\"create table {{ this.schema }}.hook_copy as select * from {{ ref('b_late') }}\") }}\nselect 1 as x\n",
    );
    project.write(
        "models/b_late.sql",
        "{{ config(materialized='table') }}\nselect 2 as y\n",
    );
    let output = project.run(&["run", "--select", "a_hooked", "b_late", "--threads", "1"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(query(&project, "select y from hook_copy"), ["y", "2"]);
    let manifest = std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        manifest["nodes"]["model.shop.a_hooked"]["depends_on"]["nodes"],
        serde_json::json!(["model.shop.b_late"])
    );
}

#[test]
fn a_failing_on_run_start_hook_stops_the_command_before_any_model() {
    let project = Engine::DuckDb.project("shop", "shop");
    let project_file = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project.write(
        "dbt_project.yml",
        project_file.replace(
            "on-run-start:\n",
            "on-run-start:\n  - \"select * from no_such_table\"\n",
        ),
    );
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 1, "{output:?}");
    let printed = format!("{}{}", output.stdout(), output.stderr());
    assert!(
        printed.contains("uxt::hook::failed") && printed.contains("on-run-start hook 1 failed"),
        "{output:?}"
    );
    let show = project.run(&["show", "--inline", "select * from stg_orders"]);
    assert_eq!(show.code(), 1, "no model was built: {show:?}");
}

#[test]
fn ctrl_c_cancels_the_query_in_flight_and_writes_results() {
    let Some(postgres) = crate::harness::Postgres::shared() else {
        return;
    };
    let project = Engine::Postgres(postgres).project("shop", "shop");
    project.write(
        "models/slow.sql",
        "{{ config(materialized='table') }}\nselect 1 as x from (select pg_sleep(30)) as s\n",
    );
    let mut child = crate::harness::uxt()
        .args(["run", "--select", "slow", "--project-dir"])
        .arg(project.path())
        .current_dir(project.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "the query was not cancelled"
    );
    let results = std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap();
    assert!(results.contains("model.shop.slow"), "{results}");
}

#[test]
fn project_generate_schema_name_replaces_the_default() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "macros/generate_schema_name.sql",
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n    {{ custom_schema_name or target.schema }}\n{%- endmacro %}\n",
    );
    project.write("models/staging/stg_customers.sql", "{{ config(schema='crm') }}\nselect * from (values (1, 'Ada')) as c (customer_id, first_name)\n");
    let output = project.run(&["run", "--select", "stg_customers"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(
        output
            .stdout()
            .contains("OK created sql view model crm.stg_customers"),
        "{output:?}"
    );
    assert_eq!(
        query(&project, "select count(*) as n from crm.stg_customers"),
        ["n", "1"]
    );
}

#[test]
fn run_query_on_a_model_built_in_the_same_run() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        project.write(
            "models/marts/order_states.sql",
            "{% set states = [] %}\n{% if execute %}\n  {% set found = run_query('select distinct status from ' ~ ref('stg_orders') ~ ' order by 1') %}\n  {% for value in found.columns[0].values() %}{% do states.append(value) %}{% endfor %}\n{% endif %}\nselect\n{% for state in states %}  sum(case when status = '{{ state }}' then 1 else 0 end) as n_{{ state }}{% if not loop.last %},{% endif %}\n{% endfor %}\nfrom {{ ref('stg_orders') }}\n",
        );
        let output = project.run(&["run"]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        let counts = query(
            &project,
            "select n_placed, n_returned, n_shipped from {{ ref('order_states') }}",
        );
        assert_eq!(
            counts,
            ["n_placed,n_returned,n_shipped", "1,1,1"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn on_run_end_sees_schemas_and_results() {
    let project = Engine::DuckDb.project("shop", "shop");
    let settings = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    let hook = "\non-run-end:\n  - \"create table run_log as select '{{ schemas | join(',') }}' as schemas, \
        {{ results | length }} as nodes, \
        '{% for db, schema in database_schemas %}{{ db }}.{{ schema }}{% endfor %}' as places\"\n";
    project.write("dbt_project.yml", format!("{settings}{hook}"));
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(
        output.stdout().contains("OK hook: shop.on-run-end.0"),
        "{output:?}"
    );
    assert_eq!(
        query(&project, "select schemas, nodes, places from run_log"),
        ["schemas,nodes,places", "main,4,dev.main"]
    );
}

#[test]
fn rerunning_views_over_views_and_tables_keeps_working() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        project.write(
            "models/chain/base_table.sql",
            "{{ config(materialized='table') }}\nselect 1 as id\n",
        );
        project.write(
            "models/chain/v1.sql",
            "select id from {{ ref('base_table') }}\n",
        );
        for (name, parent) in [("v2", "v1"), ("v3", "v2"), ("v4", "v1"), ("v5", "v4")] {
            project.write(
                format!("models/chain/{name}.sql"),
                format!("select id from {{{{ ref('{parent}') }}}}\n"),
            );
        }
        for round in 1..=3 {
            let output = project.run(&["run", "--select", "path:models/chain", "--threads", "4"]);
            assert_eq!(
                output.code(),
                0,
                "{} round {round}: {output:?}",
                engine.name()
            );
        }
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('v5') }}"),
            ["n", "1"],
            "{}",
            engine.name()
        );
        // A changed column list still replaces the view (by swapping it).
        project.write(
            "models/chain/v5.sql",
            "select id, 2 as extra from {{ ref('v4') }}\n",
        );
        let changed = project.run(&["run", "--select", "v5"]);
        assert_eq!(changed.code(), 0, "{changed:?}");
        assert_eq!(
            query(&project, "select extra from {{ ref('v5') }}"),
            ["extra", "2"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn model_variable_describes_the_node_being_rendered() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "models/model_facts.sql",
        "{{ config(materialized='table') }}\nselect '{{ model.name }}' as name, '{{ model.unique_id }}' as unique_id, '{{ model.config.materialized }}' as materialized, '{{ model[\"resource_type\"] }}' as kind, {{ 'config' in model and model | length > 10 }} as is_map, '{{ model.depends_on.nodes | join(\",\") }}' as parents\nfrom {{ ref('stg_customers') }}\n",
    );
    let output = project.run(&["compile", "--select", "model_facts"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(
        output.stdout().contains("select 'model_facts' as name, 'model.shop.model_facts' as unique_id, 'table' as materialized, 'model' as kind, True as is_map, 'model.shop.stg_customers' as parents"),
        "{output:?}"
    );
}

#[test]
fn flags_in_jinja_follow_the_command_line() {
    let project = crate::harness::Project::empty();
    project
        .write("dbt_project.yml", "name: flags\nprofile: flags\n")
        .write("profiles.yml", crate::harness::profiles_yml_duckdb("flags"))
        .write(
            "models/flags.sql",
            "{% macro yes(flag) %}{% if flag %}yes{% else %}no{% endif %}{% endmacro %}\
             select '{{ flags.WHICH }} {{ yes(flags.FAIL_FAST) }} {{ yes(flags.FULL_REFRESH) }}' as flags\n",
        );
    for (args, expected) in [
        (&["run"][..], "run no no"),
        (&["run", "--fail-fast", "--full-refresh"][..], "run yes yes"),
        (&["build", "-x"][..], "build yes no"),
    ] {
        let out = project.run(args);
        assert_eq!(out.code(), 0, "{out:?}");
        assert_eq!(
            query(&project, "select flags from {{ ref('flags') }}"),
            ["flags", expected],
            "{args:?}"
        );
    }
}
