//! The SQL of dbt's four built-in generic tests and of the wrapper that counts a test's
//! failures, as dbt-core 1.9 writes them (`include/global_project/macros/generic_test_sql/` and
//! `materializations/tests/`). Pure: takes a [`TestDecl`] and rendered relations, returns
//! statements; rendering custom test macros is the compiler's.

use serde_json::{Map, Value};

use crate::manifest::data_tests::TestDecl;
use crate::manifest::data_tests::python::{is_truthy, python_str};

/// SQL of dbt's four built-in generic tests (`default__test_unique`, `_not_null`,
/// `_accepted_values`, `_relationships`), the rows that fail. `model_relation` is the rendered
/// `model` argument (see [`model_with_where`]); `to_relation` the rendered `to` of
/// `relationships`. `None` when the test is not one of the four or lacks a required argument.
///
/// `not_null` selects `*` when `store_failures` is set in `decl.config`, as dbt does; merge
/// project-level config into the decl first for that to take effect.
pub fn builtin_sql(
    decl: &TestDecl,
    model_relation: &str,
    to_relation: Option<&str>,
) -> Option<String> {
    if decl
        .namespace
        .as_deref()
        .is_some_and(|namespace| namespace != "dbt")
    {
        return None;
    }
    let column = match decl.kwargs.get("column_name") {
        Some(column) => python_str(column),
        None => decl.column_name.clone()?,
    };
    match decl.test_name.as_str() {
        "unique" => Some(format!(
            "select\n    {column} as unique_field,\n    count(*) as n_records\n\nfrom {model_relation}\nwhere {column} is not null\ngroup by {column}\nhaving count(*) > 1\n"
        )),
        "not_null" => {
            let column_list = if decl.config.get("store_failures").is_some_and(is_truthy) {
                "*"
            } else {
                column.as_str()
            };
            Some(format!(
                "select {column_list}\nfrom {model_relation}\nwhere {column} is null\n"
            ))
        }
        "accepted_values" => {
            let quote = decl.kwargs.get("quote").is_none_or(is_truthy);
            let values = jinja_iteration(decl.kwargs.get("values")?)?;
            // dbt pastes each value between single quotes without escaping; so does this.
            let values = values
                .iter()
                .map(|value| {
                    if quote {
                        format!("'{value}'")
                    } else {
                        value.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            Some(format!(
                "with all_values as (\n\n    select\n        {column} as value_field,\n        count(*) as n_records\n\n    from {model_relation}\n    group by {column}\n\n)\n\nselect *\nfrom all_values\nwhere value_field not in (\n    {values}\n)\n"
            ))
        }
        "relationships" => {
            let to_relation = to_relation?;
            let field = python_str(decl.kwargs.get("field")?);
            Some(format!(
                "with child as (\n    select {column} as from_field\n    from {model_relation}\n    where {column} is not null\n),\n\nparent as (\n    select {field} as to_field\n    from {to_relation}\n)\n\nselect\n    from_field\n\nfrom child\nleft join parent\n    on child.from_field = parent.to_field\n\nwhere parent.to_field is null\n"
            ))
        }
        _ => None,
    }
}

/// The items a Jinja `for` loop visits, rendered: a list's items, a mapping's keys, a string's
/// characters.
fn jinja_iteration(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => Some(items.iter().map(python_str).collect()),
        Value::Object(map) => Some(map.keys().cloned().collect()),
        Value::String(text) => Some(text.chars().map(String::from).collect()),
        _ => None,
    }
}

/// Wraps a test's failing-rows query as dbt's test materialization does (`get_limit_sql`, then
/// `default__get_test_sql`): one row with `failures`, `should_warn` and `should_error`, from
/// `fail_calc` (default `count(*)`), `warn_if` and `error_if` (default `!= 0`) and `limit`.
pub fn wrap_test_sql(main_sql: &str, config: &Map<String, Value>) -> String {
    let setting = |key: &str, default: &str| match config.get(key) {
        None | Some(Value::Null) => default.to_string(),
        Some(value) => python_str(value),
    };
    let fail_calc = setting("fail_calc", "count(*)");
    let warn_if = setting("warn_if", "!= 0");
    let error_if = setting("error_if", "!= 0");
    let limit = match config.get("limit") {
        None | Some(Value::Null) => String::new(),
        Some(limit) => format!("\n  limit {}", python_str(limit)),
    };
    format!(
        "select\n  {fail_calc} as failures,\n  {fail_calc} {warn_if} as should_warn,\n  {fail_calc} {error_if} as should_error\nfrom (\n{}{limit}\n) dbt_internal_test",
        main_sql.trim()
    )
}

/// The text dbt's `get_where_subquery` gives the `model` argument: the relation itself, or with
/// a `where` config `(select * from <relation> where <where>) dbt_subquery`.
pub fn model_with_where(relation: &str, config: &Map<String, Value>) -> String {
    match config.get("where") {
        Some(condition) if is_truthy(condition) => {
            format!(
                "(select * from {relation} where {}) dbt_subquery",
                python_str(condition)
            )
        }
        _ => relation.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::data_tests::parse_decl;
    use serde_json::json;

    /// A built-in test of the fixture project and the SQL dbt rendered for it.
    struct SqlCase {
        entry: &'static str,
        column: Option<&'static str>,
        /// The rendered relation of the model under test.
        relation: &'static str,
        to_relation: Option<&'static str>,
        /// `compiled_code`, whitespace collapsed.
        compiled: &'static str,
        /// What dbt sent to the database, whitespace collapsed; `None` for tests that store
        /// failures, which then query the stored table instead.
        executed: Option<&'static str>,
    }

    /// From `dbt build` of the fixture project on DuckDB with dbt-core 1.9.11.
    const DBT_SQL_CASES: &[SqlCase] = &[
        SqlCase {
            entry: r#"{"unique": {"config": {"where": "status != 'returned'", "limit": 5, "severity": "error"}}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"select order_id as unique_field, count(*) as n_records from (select * from "demo"."main"."stg_orders" where status != 'returned') dbt_subquery where order_id is not null group by order_id having count(*) > 1"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select order_id as unique_field, count(*) as n_records from (select * from "demo"."main"."stg_orders" where status != 'returned') dbt_subquery where order_id is not null group by order_id having count(*) > 1 limit 5 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"not_null": {"where": "town = 'Uxbridge'", "limit": 10, "tags": ["nightly"]}}"#,
            column: Some("name"),
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"select name from (select * from "demo"."main"."stg_people" where town = 'Uxbridge') dbt_subquery where name is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select name from (select * from "demo"."main"."stg_people" where town = 'Uxbridge') dbt_subquery where name is null limit 10 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"accepted_values": {"values": ["Ann", "Bob", "O'Brien", "Zo\u00eb", "say \"hi\"", "back\\slash"], "config": {"warn_if": ">10", "error_if": ">100", "fail_calc": "sum(n_records)"}}}"#,
            column: Some("name"),
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"with all_values as ( select name as value_field, count(*) as n_records from "demo"."main"."stg_people" group by name ) select * from all_values where value_field not in ( 'Ann','Bob','O'Brien','Zoë','say "hi"','back\slash' )"#,
            executed: Some(
                r#"select sum(n_records) as failures, sum(n_records) >10 as should_warn, sum(n_records) >100 as should_error from ( with all_values as ( select name as value_field, count(*) as n_records from "demo"."main"."stg_people" group by name ) select * from all_values where value_field not in ( 'Ann','Bob','O'Brien','Zoë','say "hi"','back\slash' ) ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"accepted_values": {"values": [1, 2, 3], "quote": false}}"#,
            column: Some("priority"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"with all_values as ( select priority as value_field, count(*) as n_records from "demo"."main"."stg_orders" group by priority ) select * from all_values where value_field not in ( 1,2,3 )"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with all_values as ( select priority as value_field, count(*) as n_records from "demo"."main"."stg_orders" group by priority ) select * from all_values where value_field not in ( 1,2,3 ) ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"relationships": {"to": "source('raw', 'people')", "field": "person_id", "config": {"where": "order_id > 0"}}}"#,
            column: Some("person_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: Some(r#""demo"."main"."raw_people""#),
            compiled: r#"with child as ( select person_id as from_field from (select * from "demo"."main"."stg_orders" where order_id > 0) dbt_subquery where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with child as ( select person_id as from_field from (select * from "demo"."main"."stg_orders" where order_id > 0) dbt_subquery where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"not_null": {"store_failures": true}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"select * from "demo"."main"."stg_orders" where order_id is null"#,
            executed: None,
        },
        SqlCase {
            entry: r#"{"not_null": {"config": {"alias": "extra_nn", "limit": 3}}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."raw_people""#,
            to_relation: None,
            compiled: r#"select order_id from "demo"."main"."raw_people" where order_id is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select order_id from "demo"."main"."raw_people" where order_id is null limit 3 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"unique": {"column_name": "person_id || '-' || name"}}"#,
            column: None,
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"select person_id || '-' || name as unique_field, count(*) as n_records from "demo"."main"."stg_people" where person_id || '-' || name is not null group by person_id || '-' || name having count(*) > 1"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select person_id || '-' || name as unique_field, count(*) as n_records from "demo"."main"."stg_people" where person_id || '-' || name is not null group by person_id || '-' || name having count(*) > 1 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"relationships": {"to": "ref('raw_people')", "field": "person_id"}}"#,
            column: Some("person_id"),
            relation: r#""demo"."main"."people_snapshot""#,
            to_relation: Some(r#""demo"."main"."raw_people""#),
            compiled: r#"with child as ( select person_id as from_field from "demo"."main"."people_snapshot" where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with child as ( select person_id as from_field from "demo"."main"."people_snapshot" where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null ) dbt_internal_test"#,
            ),
        },
    ];

    fn collapse_whitespace(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn builtin_tests_render_the_sql_dbt_runs() {
        for case in DBT_SQL_CASES {
            let entry: Value =
                serde_json::from_str(case.entry).expect("SQL cases hold JSON entries");
            let decl = parse_decl(&entry, case.column).expect("SQL cases are valid entries");
            let model = model_with_where(case.relation, &decl.config);
            let sql =
                builtin_sql(&decl, &model, case.to_relation).expect("SQL cases use built-in tests");
            assert_eq!(
                collapse_whitespace(&sql),
                case.compiled,
                "compiled SQL of {entry}"
            );
            if let Some(executed) = case.executed {
                let wrapped = wrap_test_sql(&sql, &decl.config);
                assert_eq!(
                    collapse_whitespace(&wrapped),
                    executed,
                    "executed SQL of {entry}"
                );
            }
        }
    }

    #[test]
    fn builtin_sql_is_none_for_other_tests_and_missing_arguments() {
        let custom = parse_decl(&json!("is_positive"), Some("id")).unwrap();
        assert_eq!(builtin_sql(&custom, "t", None), None);
        let namespaced = parse_decl(&json!("dbt_utils.unique"), Some("id")).unwrap();
        assert_eq!(builtin_sql(&namespaced, "t", None), None);
        let no_column = parse_decl(&json!("unique"), None).unwrap();
        assert_eq!(builtin_sql(&no_column, "t", None), None);
        let relationships = parse_decl(
            &json!({"relationships": {"to": "ref('p')", "field": "id"}}),
            Some("id"),
        )
        .unwrap();
        assert_eq!(builtin_sql(&relationships, "t", None), None);
        let qualified = parse_decl(&json!("dbt.not_null"), Some("id")).unwrap();
        assert!(builtin_sql(&qualified, "t", None).is_some());
    }

    #[test]
    fn wrapping_uses_defaults_and_skips_an_empty_where() {
        let config = Map::new();
        assert_eq!(
            collapse_whitespace(&wrap_test_sql("select 1\n", &config)),
            "select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select 1 ) dbt_internal_test"
        );
        let config = json!({"where": ""}).as_object().cloned().unwrap();
        assert_eq!(
            model_with_where("\"db\".\"main\".\"t\"", &config),
            "\"db\".\"main\".\"t\""
        );
    }
}
