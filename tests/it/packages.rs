//! Installed packages as dbt loads them, on the `packaged` fixture (its outcomes are dbt-core
//! 1.11's on the same project): macros under the package's namespace, `adapter.dispatch` with
//! `macro_namespace` and the root project's `dispatch:` search order (a shim answering on DuckDB,
//! the root project on Postgres), the package's models, seeds and tests with their
//! `package_name`, its configs under the root project's overrides, its vars under the root
//! project's, generic tests from a package in the classic and the `arguments:` form with dbt's
//! unique_ids, `package:` selection, and `require-dbt-version`.

use crate::engines::{Engine, query};
use crate::harness::Project;

/// The fixture with its packages installed.
fn packaged(engine: &Engine) -> Project {
    let project = engine.project("packaged", "packaged");
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    project
}

#[test]
fn package_macros_dispatch_and_generic_tests_work_from_the_root_project() {
    for engine in Engine::all() {
        let project = packaged(&engine);
        let out = project.run(&["build"]);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        assert!(
            out.stdout()
                .contains("Done. PASS=7 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=8"),
            "{}: {out:?}",
            engine.name()
        );
        let greeting = match engine {
            Engine::DuckDb => "hello from the shim on duckdb",
            Engine::Postgres(_) => "hello from packaged on postgres",
        };
        let rows = query(
            &project,
            "select order_id, cast(amount_cents as integer) as cents, greeting from orders order by 1",
        );
        assert_eq!(
            rows,
            [
                "order_id,cents,greeting".to_string(),
                format!("1,1250,{greeting}"),
                format!("2,200,{greeting}"),
            ],
            "{}",
            engine.name()
        );
        // The package's model: a table by the root project's override of the package's `view`,
        // `helpers_factor` from the root project's vars over the package's, the label from the
        // package's own vars.
        assert_eq!(
            query(
                &project,
                "select n, scaled, label from numbers_from_package join helpers_numbers using (n, scaled) order by n"
            ),
            [
                "n,scaled,label",
                "1,3,from-helpers",
                "2,6,from-helpers",
                "3,9,from-helpers"
            ],
            "{}",
            engine.name()
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
        )
        .unwrap();
        // The unique_ids dbt-core 1.11 gives these tests.
        for unique_id in [
            "test.packaged.helpers_is_multiple_of_orders_amount_cents__50.e4695f4e16",
            "test.packaged.helpers_is_multiple_of_orders_amount_cents__100.46d2c13070",
        ] {
            let test = &manifest["nodes"][unique_id];
            assert_eq!(test["test_metadata"]["namespace"], "helpers", "{unique_id}");
        }
        for (unique_id, package) in [
            ("model.helpers.helpers_numbers", "helpers"),
            ("seed.helpers.helpers_seed", "helpers"),
            (
                "test.helpers.is_multiple_of_helpers_numbers_scaled__3.0481b4993b",
                "helpers",
            ),
            (
                "test.helpers.not_null_helpers_numbers_n.53f5ef8503",
                "helpers",
            ),
            ("model.packaged.numbers_from_package", "packaged"),
        ] {
            assert_eq!(
                manifest["nodes"][unique_id]["package_name"], package,
                "{unique_id}"
            );
        }
        assert_eq!(
            manifest["nodes"]["model.helpers.helpers_numbers"]["config"]["materialized"],
            "table"
        );
        for unique_id in [
            "macro.helpers.cents",
            "macro.helpers.test_is_multiple_of",
            "macro.shim.duckdb__greeting",
            "macro.packaged.postgres__greeting",
            "macro.dbt.current_timestamp",
        ] {
            assert!(manifest["macros"].get(unique_id).is_some(), "{unique_id}");
        }
    }
}

#[test]
fn unknown_macro_of_a_package_names_the_package() {
    let project = packaged(&Engine::DuckDb);
    project.write(
        "models/orders.sql",
        "select {{ helpers.no_such_macro() }} as x\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("`helpers.no_such_macro` is not a macro of `helpers`"),
        "{out:?}"
    );
}

#[test]
fn dispatch_to_a_package_that_is_not_installed_says_so() {
    let project = packaged(&Engine::DuckDb);
    let text = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project.write(
        "dbt_project.yml",
        text.replace(
            "search_order: [\"packaged\", \"shim\", \"helpers\"]",
            "search_order: [\"packaged\", \"spark_utils\", \"helpers\"]",
        ),
    );
    let out = project.run(&["compile", "-s", "orders"]);
    assert_eq!(out.code(), 1, "{out:?}");
    let text = out.stderr().replace("\n  │ ", " ");
    assert!(
        text.contains("adapter.dispatch searches package `spark_utils` for `greeting`, but no package of that name is installed"),
        "{out:?}"
    );
}

#[test]
fn require_dbt_version_is_checked_for_packages() {
    let project = packaged(&Engine::DuckDb);
    let file = project.path().join("vendor/helpers/dbt_project.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("[\">=1.5.0\", \"<3.0.0\"]", "[\">=1.5.0\", \"<1.6.0\"]"),
    )
    .unwrap();
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr().contains(
            "package `helpers` requires dbt `>=1.5.0, <1.6.0`, and uxt behaves as dbt 1.11.0"
        ),
        "{out:?}"
    );
    assert!(
        out.stderr()
            .contains("dbt_packages/helpers/dbt_project.yml:4"),
        "{out:?}"
    );
    // dbt's `--no-version-check`, or `DBT_VERSION_CHECK=false`, lets it through.
    let out = project.run(&["parse", "--no-version-check"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let out = project.run_with_env(&["parse"], &[("DBT_VERSION_CHECK", "false")]);
    assert_eq!(out.code(), 0, "{out:?}");
    let out = project.run_with_env(
        &["parse", "--version-check"],
        &[("DBT_VERSION_CHECK", "false")],
    );
    assert_eq!(out.code(), 1, "{out:?}");
}

#[test]
fn generic_tests_under_tests_generic_are_test_definitions() {
    let project = packaged(&Engine::DuckDb);
    project
        .write(
            "tests/generic/is_small.sql",
            "{% test is_small(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} > 100000\n{% endtest %}\n",
        )
        .write("models/small.sql", "select 1 as n\n")
        .write(
            "models/small.yml",
            "version: 2\nmodels:\n  - name: small\n    columns:\n      - name: n\n        data_tests: [is_small]\n",
        );
    let out = project.run(&["build", "-s", "small"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("PASS is_small_small_n"), "{out:?}");
}

#[test]
fn package_selection_picks_a_packages_nodes() {
    let project = packaged(&Engine::DuckDb);
    let out = project.run(&["ls", "-s", "package:helpers", "--output", "name"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let mut names: Vec<&str> = out.stdout().lines().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "helpers_numbers",
            "helpers_seed",
            "is_multiple_of_helpers_numbers_scaled__3",
            "not_null_helpers_numbers_n"
        ]
    );
}

#[test]
fn ref_to_a_package_model_by_package_and_name() {
    let project = packaged(&Engine::DuckDb);
    project.write(
        "models/numbers_from_package.sql",
        "select n from {{ ref('helpers', 'no_such_model') }}\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("`numbers_from_package` refers to `no_such_model`, which was not found"),
        "{out:?}"
    );
}

#[test]
fn test_arguments_render_when_the_test_compiles_and_python_modules_work_in_packages() {
    for engine in Engine::all() {
        let project = packaged(&engine);
        project
            .write(
                "vendor/helpers/macros/same_rows_as.sql",
                "{% test same_rows_as(model, compare_model, label) %}\n\
                 select '{{ label }}' as label from (select * from {{ model }} except select * from {{ compare_model }}) as missing\n\
                 {% endtest %}\n",
            )
            .write("models/orders_copy.sql", "select * from {{ ref('orders') }}\n")
            .write("models/orders_again.sql", "select * from {{ ref('orders') }}\n")
            .write(
                "models/copies.yml",
                "version: 2\nmodels:\n  - name: orders_copy\n    data_tests:\n      - helpers.same_rows_as:\n          compare_model: ref('orders_again')\n          label: \"{{ 'rendered ' ~ target.name }}\"\n",
            )
            .write(
                "models/python_modules.sql",
                "{% set la = modules.pytz.timezone('America/Los_Angeles') %}\n\
                 {% set local = la.localize(modules.datetime.datetime(year=2026, month=3, day=8, hour=12)) %}\n\
                 {% set day = modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=1) %}\n\
                 {% set seen = {} %}{% do seen.update({'names': []}) %}{% do seen['names'].append('kept') %}\n\
                 {% set tables = modules.re.findall('(?i)from\\\\s+(\\\\w+)(?=\\\\s|$)', 'select 1 from a join b from c') %}\n\
                 select '{{ local }}' as local_time, {{ local.timestamp() | int }} as epoch, '{{ day }}' as day_before,\n\
                 '{{ seen['names'][0] }}' as kept, {{ ['a', 'b'].index('b') }} as position, '{{ tables | join(',') }}' as tables\n",
            );
        let out = project.run(&["build"]);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        assert_eq!(
            query(&project, "select * from {{ ref('python_modules') }}"),
            [
                "local_time,epoch,day_before,kept,position,tables",
                "2026-03-08 12:00:00-07:00,1772996400,2024-02-29,kept,1,\"a,c\"",
            ],
            "{}",
            engine.name()
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
        )
        .unwrap();
        // dbt names the test after its arguments as written, and the `ref()` argument makes it
        // depend on that model.
        let (unique_id, test) = manifest["nodes"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(id, _)| {
                id.starts_with(
                    "test.packaged.helpers_same_rows_as_orders_copy_ref_orders_again____rendered_target_name_.",
                )
            })
            .unwrap_or_else(|| panic!("the test by dbt's name in {}", manifest["nodes"]));
        let depends: Vec<&str> = test["depends_on"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|id| id.as_str())
            .collect();
        assert!(
            depends.contains(&"model.packaged.orders_copy"),
            "{unique_id}: {depends:?}"
        );
        let text = std::fs::read_dir(
            project
                .path()
                .join("target/compiled/packaged/models/copies.yml"),
        )
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().contains("same_rows_as"))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect::<String>();
        assert!(text.contains("'rendered dev' as label"), "{text}");
        assert!(text.contains("orders_again"), "{text}");
    }
}

#[test]
fn package_test_configs_relation_keyed_maps_sets_graph_columns_and_information_schema_work_as_in_dbt()
 {
    for engine in Engine::all() {
        let project = packaged(&engine);
        project
            .write(
                "vendor/helpers/macros/row_gap.sql",
                "{% test row_gap(model, compare_model) %}\n\
                 {{ config(fail_calc='sum(gap)') }}\n\
                 select abs((select count(*) from {{ model }}) - (select count(*) from {{ compare_model }})) as gap\n\
                 {% endtest %}\n",
            )
            .write("models/orders_copy.sql", "select * from {{ ref('orders') }}\n")
            .write(
                "models/copies.yml",
                "version: 2\nmodels:\n  - name: orders_copy\n    columns:\n      - name: order_id\n        description: the order\n    data_tests:\n      - helpers.row_gap:\n          compare_model: ref('orders')\n      - helpers.row_gap:\n          compare_model: ref('numbers_from_package')\n          config:\n            fail_calc: count(*)\n            severity: warn\n",
            )
            .write(
                "models/column_sets.sql",
                "{% set seen = {} %}\n\
                 {% for r in [ref('orders'), ref('orders_copy')] %}{% do seen.update({r: adapter.get_columns_in_relation(r) | length}) %}{% endfor %}\n\
                 {% set cols = adapter.get_columns_in_relation(ref('orders')) | map(attribute='name') | map('lower') %}\n\
                 {% if execute %}{% set described = (graph.nodes.values() | selectattr('name', 'equalto', 'orders_copy') | list).pop().columns.order_id.description %}{% endif %}\n\
                 select {{ seen | length }} as relations, '{{ described }}' as described,\n\
                 {{ set(cols) == set(['greeting', 'order_id', 'amount_cents']) }} as same_sets,\n\
                 {% set info = ref('orders').information_schema('columns') %}\n\
                 {% if target.type == 'postgres' %}(select count(*) from {{ info }}\n\
                  where table_name = 'orders' and table_schema = '{{ ref('orders').schema }}')\n\
                 {%- else %}{{ 3 if (info | string).endswith('\".INFORMATION_SCHEMA.columns') else 0 }}\n\
                 {%- endif %} as info_columns\n",
            );
        let out = project.run(&["build"]);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        // The macro's `fail_calc` makes one row of gap 0 a pass; the properties entry's own
        // `fail_calc` wins over it, so the other counts its row.
        assert!(
            out.stdout()
                .contains("PASS helpers_row_gap_orders_copy_ref_orders_"),
            "{}: {out:?}",
            engine.name()
        );
        assert!(
            out.stdout()
                .contains("WARN 1 helpers_row_gap_orders_copy_ref_numbers_from_package_"),
            "{}: {out:?}",
            engine.name()
        );
        // DuckDB keeps its information schema outside the database: dbt-duckdb's name for it
        // (the same) is checked there, the query on Postgres.
        assert_eq!(
            query(&project, "select * from {{ ref('column_sets') }}"),
            [
                "relations,described,same_sets,info_columns",
                "2,the order,true,3"
            ],
            "{}",
            engine.name()
        );
    }
}
