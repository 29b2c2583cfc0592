//! Unit tests (`unit_tests:`) on both engines, with what dbt-core 1.11 does on the same project:
//! `given` rows for refs, sources and `this` (dict, csv and sql, inline and from fixture files),
//! overrides of vars, env vars and macros (by name and through a namespace), `build` running them
//! before their model, one after another, and skipping the rest and the model when one fails,
//! dbt's diff, run_results and the manifest's `unit_tests`.

use serde_json::Value;

use crate::engines::Engine;
use crate::harness::Project;

const UNIT_TESTS: &str = "\
unit_tests:
  - name: keeps_big_orders
    description: only orders above the threshold
    model: big_orders
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 1, name: a, amount: 5}
          - {id: 2, name: b, amount: 20}
      - input: ref('codes')
        format: csv
        rows: |
          code,label
          2,two
    expect:
      rows:
        - {id: 2, name: b, amount: 20, label: two, threshold: 10, region: north}
  - name: overrides_apply
    model: big_orders
    overrides:
      vars: {threshold: 1}
      env_vars: {UT_REGION: south}
    given:
      - input: ref('stg_orders')
        format: sql
        rows: |
          select 1 as id, 'a' as name, 5 as amount
      - input: ref('codes')
        format: csv
        fixture: codes_fixture
    expect:
      format: csv
      rows: |
        id,name,amount,label,threshold,region
        1,a,5,one,1,south
  - name: fails_with_a_diff
    model: big_orders
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 2, name: b, amount: 20}
          - {id: 3, name: c, amount: 30}
      - input: ref('codes')
        rows: []
    expect:
      rows:
        - {id: 2, name: b, amount: 21}
        - {id: 3, name: c, amount: 30}
  - name: namespaced_macro_override
    model: big_orders
    overrides:
      macros:
        ut.currency: \"'usd'\"
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 2, name: b, amount: 20}
      - input: ref('codes')
        rows: []
    expect:
      rows:
        - {id: 2, currency: usd}
  - name: incremental_adds_new_rows
    model: inc_orders
    overrides:
      macros:
        is_incremental: true
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 1, amount: 5}
          - {id: 2, amount: 20}
      - input: this
        rows:
          - {id: 1, amount: 5}
    expect:
      rows:
        - {id: 2, amount: 20}
  - name: source_input
    model: stg_orders
    given:
      - input: source('shop', 'raw_orders')
        rows:
          - {id: 2, name: b}
    expect:
      rows:
        - {id: 2, name: b, amount: null}
";

fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "ut");
    project.write(
        "dbt_project.yml",
        "name: ut\nversion: '1.0'\nconfig-version: 2\nprofile: ut\nvars:\n  threshold: 10\n",
    );
    project.write("seeds/raw_orders.csv", "id,name,amount\n1,a,5\n2,b,20\n");
    project.write("seeds/codes.csv", "code,label\n1,one\n2,two\n");
    let schema = match engine {
        Engine::DuckDb => "main",
        Engine::Postgres(_) => "public",
    };
    project.write(
        "models/sources.yml",
        format!(
            "sources:\n  - name: shop\n    schema: {schema}\n    tables:\n      - name: raw_orders\n"
        ),
    );
    project.write(
        "models/stg_orders.sql",
        "select id, name, amount from {{ source('shop', 'raw_orders') }}\n",
    );
    project.write(
        "models/big_orders.sql",
        "select o.id, o.name, o.amount, c.label,\n  {{ var('threshold') }} as threshold,\n  \
         '{{ env_var('UT_REGION', 'north') }}' as region,\n  {{ ut.currency() }} as currency\nfrom {{ ref('stg_orders') }} o\n\
         left join {{ ref('codes') }} c on c.code = o.id\nwhere o.amount > {{ var('threshold') }}\n",
    );
    project.write(
        "models/inc_orders.sql",
        "{{ config(materialized='incremental', unique_key='id') }}\n\
         select id, amount from {{ ref('stg_orders') }}\n{% if is_incremental() %}\n\
         where id > (select max(id) from {{ this }})\n{% endif %}\n",
    );
    project.write(
        "macros/currency.sql",
        "{% macro currency() %}'eur'{% endmacro %}\n",
    );
    project.write("models/unit_tests.yml", UNIT_TESTS);
    project.write("tests/fixtures/codes_fixture.csv", "code,label\n1,one\n");
    project
}

fn run_results(project: &Project) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut statuses: Vec<(String, String)> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn unit_tests_run_before_their_model_in_build_and_a_failure_skips_it() {
    for engine in Engine::all() {
        let project = project(&engine);
        // The sources' rows come from seeds, which are not in the DAG: load them first, as with
        // dbt.
        assert_eq!(project.run(&["seed"]).code(), 0, "{}", engine.name());
        let built = project.run(&["build"]);
        assert_eq!(built.code(), 1, "{}: {built:?}", engine.name());
        let stdout = built.stdout();
        for line in [
            "START unit_test big_orders::keeps_big_orders",
            "PASS big_orders::keeps_big_orders",
            "PASS big_orders::overrides_apply",
            "FAIL 1 big_orders::fails_with_a_diff",
            // As in dbt, a model's unit tests run one after another and those after a failing
            // one are skipped (dbt takes them in an order of its own, uxt as they are written).
            "SKIP unit_test namespaced_macro_override",
            "PASS stg_orders::source_input",
            "SKIP relation ",
        ] {
            assert!(
                stdout.contains(line),
                "{}: `{line}` in {built:?}",
                engine.name()
            );
        }
        // dbt's diff: `→` marks the row that differs, `expected→actual` its cell.
        let diff: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.get(10..))
            .skip_while(|line| !line.contains("actual differs from expected:"))
            .take(5)
            .collect();
        assert_eq!(
            diff,
            [
                "  actual differs from expected:",
                "  ",
                "  @@,id,name,amount",
                "  → ,2 ,b   ,21→20",
                "    ,3 ,c   ,30",
            ],
            "{}: {built:?}",
            engine.name()
        );
        let statuses = run_results(&project);
        let status = |id: &str| {
            statuses
                .iter()
                .find(|(unique_id, _)| unique_id == id)
                .map(|(_, status)| status.as_str())
        };
        assert_eq!(
            status("unit_test.ut.big_orders.keeps_big_orders"),
            Some("pass")
        );
        assert_eq!(
            status("unit_test.ut.big_orders.fails_with_a_diff"),
            Some("fail")
        );
        assert_eq!(
            status("unit_test.ut.big_orders.namespaced_macro_override"),
            Some("skipped")
        );
        assert_eq!(status("model.ut.big_orders"), Some("skipped"));
        assert_eq!(status("model.ut.stg_orders"), Some("success"));
        // `this` needs the incremental model's table for its column types, as in dbt: on the
        // first build it does not exist yet.
        assert_eq!(
            status("unit_test.ut.inc_orders.incremental_adds_new_rows"),
            Some("error")
        );
        assert!(
            stdout.contains("Not able to get columns for unit test 'inc_orders' from relation"),
            "{}: {built:?}",
            engine.name()
        );

        // Once it exists, the unit test passes, and `test_type:unit` selects only unit tests.
        assert_eq!(project.run(&["run", "-s", "inc_orders"]).code(), 0);
        let unit = project.run(&[
            "test",
            "-s",
            "test_type:unit",
            "--exclude",
            "fails_with_a_diff",
        ]);
        assert_eq!(unit.code(), 0, "{}: {unit:?}", engine.name());
        assert!(
            unit.stdout()
                .contains("PASS inc_orders::incremental_adds_new_rows"),
            "{unit:?}"
        );
        // `ut.currency` overrides the macro called through the project's namespace.
        assert!(
            unit.stdout()
                .contains("PASS big_orders::namespaced_macro_override"),
            "{unit:?}"
        );
        assert!(
            unit.stdout().contains("Done. PASS=5 WARN=0 ERROR=0 SKIP=0"),
            "{unit:?}"
        );
    }
}

#[test]
fn the_manifest_lists_unit_tests_as_dbt_writes_them() {
    let project = project(&Engine::DuckDb);
    let parsed = project.run(&["parse"]);
    assert_eq!(parsed.code(), 0, "{parsed:?}");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
    )
    .unwrap();
    let test = &manifest["unit_tests"]["unit_test.ut.big_orders.overrides_apply"];
    assert_eq!(test["model"], "big_orders");
    assert_eq!(test["resource_type"], "unit_test");
    assert_eq!(
        test["depends_on"]["nodes"],
        serde_json::json!(["model.ut.big_orders"])
    );
    assert_eq!(
        test["fqn"],
        serde_json::json!(["ut", "big_orders", "overrides_apply"])
    );
    assert_eq!(
        test["overrides"]["vars"],
        serde_json::json!({"threshold": 1})
    );
    assert_eq!(
        test["given"][1],
        serde_json::json!({"input": "ref('codes')", "rows": [{"code": "1", "label": "one"}], "format": "csv", "fixture": "codes_fixture"})
    );
    assert!(
        manifest["nodes"]
            .get("unit_test.ut.big_orders.overrides_apply")
            .is_none()
    );
}

#[test]
fn a_missing_input_and_a_bad_definition_say_what_is_wrong() {
    let project = project(&Engine::DuckDb);
    project.write(
        "models/unit_tests.yml",
        "unit_tests:\n  - name: missing_an_input\n    model: big_orders\n    given:\n      \
         - input: ref('stg_orders')\n        rows: [{id: 2, name: b, amount: 20}]\n    \
         expect:\n      rows: [{id: 2}]\n",
    );
    assert_eq!(project.run(&["seed"]).code(), 0);
    assert_eq!(project.run(&["run"]).code(), 0);
    let out = project.run(&["test"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stdout().contains(
            "Unit_Test 'unit_test.ut.big_orders.missing_an_input' (models/unit_tests.yml) \
             depends on a node named 'codes' which was not found"
        ),
        "{out:?}"
    );
    project.write(
        "models/unit_tests.yml",
        "unit_tests:\n  - name: typo\n    model: big_orders\n    givn: []\n    expect:\n      rows: []\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr().contains("unknown key `givn` in a unit test"),
        "{out:?}"
    );
    assert!(out.stderr().contains("did you mean `given`?"), "{out:?}");
    assert!(out.stderr().contains("models/unit_tests.yml:4"), "{out:?}");
}

#[test]
fn unit_tests_are_selected_by_the_unit_test_method_and_by_resource_type() {
    // What dbt-core 1.11 lists for the same project and arguments.
    let project = project(&Engine::DuckDb);
    let ls = |args: &[&str]| {
        let output = project.run(&[&["ls", "-q"], args].concat());
        assert_eq!(output.code(), 0, "{output:?}");
        output
            .stdout()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ls(&["-s", "unit_test:keeps_*"]),
        ["unit_test:ut.keeps_big_orders"]
    );
    assert_eq!(
        ls(&["-s", "unit_test:ut.*", "--exclude", "unit_test:*_a_diff"]).len(),
        5
    );
    assert_eq!(
        ls(&["--exclude-resource-type", "unit_test", "test", "source"]),
        [
            "ut.big_orders",
            "ut.inc_orders",
            "ut.stg_orders",
            "ut.codes",
            "ut.raw_orders"
        ]
    );
    assert_eq!(ls(&["--resource-type", "unit_test"]).len(), 6);
    assert_eq!(project.run(&["seed"]).code(), 0);
    let only = project.run(&[
        "test",
        "--resource-type",
        "unit_test",
        "-s",
        "unit_test:source_input",
    ]);
    assert_eq!(only.code(), 0, "{only:?}");
    assert!(
        only.stdout().contains("PASS stg_orders::source_input"),
        "{only:?}"
    );
    assert!(
        only.stdout().contains("Done. PASS=1 WARN=0 ERROR=0 SKIP=0"),
        "{only:?}"
    );
    let none = project.run(&["test", "--exclude-resource-type", "unit_test"]);
    assert_eq!(none.code(), 0, "{none:?}");
    assert!(!none.stdout().contains("unit_test"), "{none:?}");
}
