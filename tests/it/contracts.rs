//! Model contracts and constraints on both engines, with what dbt-core 1.11 (dbt-duckdb,
//! dbt-postgres) does on the same project: the contracted table declared with its columns and
//! constraints, which the engine then enforces; dbt's mismatch table when the model's columns
//! are not the contract's; the manifest's `contract` and `constraints`.

use crate::engines::{Engine, query};
use crate::harness::Project;

const PROJECT: &str = "name: ct\nversion: '1.0'\nconfig-version: 2\nprofile: ct\n";

const PROPERTIES: &str = "\
models:
  - name: customers
    config:
      materialized: table
      contract: {enforced: true}
    columns:
      - name: id
        data_type: int
        constraints:
          - type: not_null
          - type: primary_key
      - name: name
        data_type: text
        constraints:
          - type: check
            expression: \"length(name) > 1\"
      - name: balance
        data_type: numeric(10,2)
  - name: orders
    config:
      materialized: table
      contract: {enforced: true}
    constraints:
      - type: foreign_key
        columns: [customer_id]
        to: ref('customers')
        to_columns: [id]
      - type: unique
        columns: [order_id, note]
    columns:
      - name: order_id
        data_type: integer
      - name: customer_id
        data_type: integer
      - name: note
        data_type: varchar(10)
  - name: ledger
    config:
      materialized: table
      contract: {enforced: true}
    columns:
      - name: entry
        data_type: integer
        constraints:
          - type: not_null
  - name: bad_contract
    config:
      materialized: view
      contract: {enforced: true}
    columns:
      - name: id
        data_type: text
      - name: name
        data_type: text
      - name: missing_one
        data_type: int
";

fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "ct");
    project.write("dbt_project.yml", PROJECT);
    project.write("models/schema.yml", PROPERTIES);
    project.write(
        "models/customers.sql",
        "select 1 as id, 'Ada' as name, cast(10.5 as numeric(10,2)) as balance\n",
    );
    project.write(
        "models/orders.sql",
        "select 1 as order_id, 1 as customer_id, cast('x' as varchar(10)) as note\n",
    );
    project.write(
        "models/ledger.sql",
        "select cast({% if var('broken', false) %}null{% else %}7{% endif %} as integer) as entry\n",
    );
    project.write(
        "models/bad_contract.sql",
        "select 1 as id, 'Ada' as name, 3 as extra\n",
    );
    project
}

#[test]
fn a_contracted_table_declares_its_columns_and_the_engine_enforces_its_constraints() {
    for engine in Engine::all() {
        let project = project(&engine);
        let built = project.run(&["run", "--exclude", "bad_contract"]);
        assert_eq!(built.code(), 0, "{}: {built:?}", engine.name());
        let constraints = match engine {
            Engine::DuckDb => {
                "select table_name as t, constraint_type as c, \
                 array_to_string(constraint_column_names, ',') as cols \
                 from duckdb_constraints() where table_name in ('customers', 'orders') \
                 order by 1, 2, 3"
            }
            Engine::Postgres(_) => {
                "select c.relname as t, case k.contype when 'p' then 'PRIMARY KEY' \
                 when 'c' then 'CHECK' when 'f' then 'FOREIGN KEY' when 'u' then 'UNIQUE' \
                 end as c, (select string_agg(a.attname, ',' order by a.attnum) \
                 from pg_attribute a where a.attrelid = c.oid and a.attnum = any(k.conkey)) as cols \
                 from pg_constraint k join pg_class c on c.oid = k.conrelid \
                 where c.relname in ('customers', 'orders') \
                 union all select c.relname, 'NOT NULL', a.attname from pg_attribute a \
                 join pg_class c on c.oid = a.attrelid \
                 where c.relname in ('customers', 'orders') and a.attnotnull and a.attnum > 0 \
                 order by 1, 2, 3"
            }
        };
        assert_eq!(
            query(&project, constraints),
            [
                "t,c,cols",
                "customers,CHECK,name",
                "customers,NOT NULL,id",
                "customers,PRIMARY KEY,id",
                "orders,FOREIGN KEY,customer_id",
                "orders,UNIQUE,\"order_id,note\"",
            ],
            "{}",
            engine.name()
        );
        // A row the constraint refuses fails the model and leaves its table as it was.
        let refused = project.run(&["run", "-s", "ledger", "--vars", "{broken: true}"]);
        assert_eq!(refused.code(), 1, "{}: {refused:?}", engine.name());
        assert!(
            refused.stdout().to_lowercase().contains("null"),
            "{}: {refused:?}",
            engine.name()
        );
        assert_eq!(
            query(&project, "select entry from {{ ref('ledger') }}"),
            ["entry", "7"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn a_contract_that_does_not_hold_fails_with_dbts_mismatch_table() {
    for engine in Engine::all() {
        let project = project(&engine);
        let out = project.run(&["run", "-s", "bad_contract"]);
        assert_eq!(out.code(), 1, "{}: {out:?}", engine.name());
        // The types as each engine names them, as dbt-duckdb and dbt-postgres show them.
        let text = match engine {
            Engine::DuckDb => "VARCHAR",
            Engine::Postgres(_) => "TEXT   ",
        };
        let expected = format!(
            "This model has an enforced contract that failed.\n\
             Please ensure the name, data_type, and number of columns in your contract match the columns in your model's definition.\n\
             \n\
             | column_name | definition_type | contract_type | mismatch_reason       |\n\
             | ----------- | --------------- | ------------- | --------------------- |\n\
             | extra       | INTEGER         |               | missing in contract   |\n\
             | id          | INTEGER         | {text}       | data type mismatch    |\n\
             | missing_one |                 | INTEGER       | missing in definition |"
        );
        let shown: String = out
            .stdout()
            .lines()
            .map(|line| line.get(12..).unwrap_or_default().trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let expected: String = expected
            .lines()
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(shown.contains(&expected), "{}: {out:?}", engine.name());
    }
}

#[test]
fn contracted_columns_need_a_data_type_and_the_manifest_shows_the_contract() {
    let project = project(&Engine::DuckDb);
    project.write(
        "models/schema.yml",
        PROPERTIES.replace("        data_type: varchar(10)\n", ""),
    );
    let out = project.run(&["run", "-s", "orders"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stdout().contains(
            "Contracted models require data_type to be defined for each column. Please ensure \
             that the column name and data_type are defined within the YAML configuration for \
             the ['note'] column(s)."
        ),
        "{out:?}"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
    )
    .unwrap();
    let orders = &manifest["nodes"]["model.ct.orders"];
    assert_eq!(orders["contract"]["enforced"], true);
    assert_eq!(
        orders["depends_on"]["nodes"],
        serde_json::json!(["model.ct.customers"])
    );
    assert_eq!(
        orders["constraints"][0],
        serde_json::json!({
            "type": "foreign_key", "name": null, "expression": null, "warn_unenforced": true,
            "warn_unsupported": true, "to": "ref('customers')", "to_columns": ["id"],
            "columns": ["customer_id"]
        })
    );
    let id = &manifest["nodes"]["model.ct.customers"]["columns"]["id"];
    assert_eq!(id["constraints"][1]["type"], "primary_key");
}
