//! Runs a unit test as dbt does: each `given` becomes a CTE of its rows, cast to the column types
//! of the relation it stands in for (read from the warehouse, so upstream relations must exist);
//! the model renders with `ref`, `source` and `this` naming those CTEs and the test's overrides
//! in effect; its rows and the expected rows come back from one query and are compared in any
//! order. A difference fails the test with a readable diff.

use std::sync::Arc;

use super::contract::empty_subquery;
use super::unit_test_sql::{cast_function, comparison_sql, diff, expected_sql, fixture_sql};
use super::{Done, Execution, Failure, Status};
use crate::adapter::Cell;
use crate::compile;
use crate::jinja::scope::UnitTestOverrides;
use crate::manifest::unit_tests::ResolvedInput;
use crate::manifest::{Manifest, Node};
use crate::project::unit_tests::{Input, Rows};

pub(super) async fn run(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let spec = node
        .unit_test
        .as_ref()
        .ok_or_else(|| Failure::new("a unit test without its definition"))?;
    let manifest = &execution.manifest;
    let model = manifest.nodes.get(&spec.model).ok_or_else(|| {
        Failure::new(format!("the model `{}` is not in the manifest", spec.model))
    })?;
    let adapter = execution.adapter.as_ref();
    let cast_with = cast_function(adapter.kind());
    let mut overrides = UnitTestOverrides {
        unique_id: node.unique_id.clone(),
        file: node.original_file_path.clone(),
        vars: spec.def.overrides.vars.clone(),
        env_vars: spec.def.overrides.env_vars.clone(),
        macros: spec.def.overrides.macros.clone(),
        ..UnitTestOverrides::default()
    };
    let mut ctes = Vec::new();
    let mut this_cte = None;
    for input in &spec.inputs {
        let StandIn {
            cte,
            label,
            schema,
            name,
            rendered,
        } = stand_in(manifest, input, model)?;
        let fixture = match &input.fixture.rows {
            Rows::Sql(sql) => sql.clone(),
            Rows::Table(rows) => {
                let columns = adapter.get_columns(&schema, &name).await?;
                if columns.is_empty() {
                    return Err(Failure::new(format!(
                        "Not able to get columns for unit test '{}' from relation {} because the \
                         relation doesn't exist: build `{}` first",
                        model.name, rendered, label
                    )));
                }
                fixture_sql(&label, rows, &columns, cast_with).map_err(Failure::new)?
            }
            Rows::File(_) | Rows::Seed => {
                return Err(Failure::new(
                    "the fixture was not read when the project was parsed",
                ));
            }
        };
        match &input.input {
            Input::Ref { name, .. } => {
                overrides.refs.insert(name.clone(), cte.clone());
            }
            Input::Source { source, table } => {
                overrides
                    .sources
                    .insert((source.clone(), table.clone()), cte.clone());
            }
            Input::This => this_cte = Some(cte.clone()),
        }
        ctes.push(format!("__dbt__cte__{cte} as (\n{fixture}\n)"));
    }
    let jinja = execution.jinja.clone();
    let rendered_model = model.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        compile::render_unit_test(&jinja, &rendered_model, overrides, this_cte.as_deref())
    })
    .await
    .map_err(|e| Failure::new(format!("compilation stopped: {e}")))?
    .map_err(|diagnostic| Failure::new(diagnostic.to_string()))?;
    let model_sql = compile::prepend_ctes(&rendered, &ctes);
    let output = adapter.query(&empty_subquery(&model_sql)).await?.columns;
    let (expected, compared) = match &spec.def.expect.rows {
        Rows::Table(rows) => expected_sql(rows, &output, cast_with).map_err(Failure::new)?,
        Rows::Sql(sql) => (sql.clone(), output.iter().map(|c| c.name.clone()).collect()),
        Rows::File(_) | Rows::Seed => {
            return Err(Failure::new(
                "the expected rows were not read when the project was parsed",
            ));
        }
    };
    let comparison = comparison_sql(&model_sql, &expected, &compared);
    sent.push(comparison.clone());
    let result = adapter.query(&comparison).await.map_err(|error| {
        Failure::new(format!(
            "An error occurred during execution of unit test '{}'. There may be an error in the \
             unit test definition: check the data types.\n {}",
            node.name, error
        ))
    })?;
    let (actual, expected): (Vec<Vec<Cell>>, Vec<Vec<Cell>>) = {
        let mut actual = Vec::new();
        let mut expected = Vec::new();
        for mut row in result.rows {
            let side = row.pop();
            match side {
                Some(Cell::Text(side)) if side == "actual" => actual.push(row),
                _ => expected.push(row),
            }
        }
        (actual, expected)
    };
    Ok(match diff(&compared, &actual, &expected) {
        None => Done {
            status: Status::Pass,
            word: "PASS".into(),
            failures: Some(0),
            message: None,
            batches: None,
            rows_affected: None,
        },
        Some(table) => Done {
            status: Status::Fail,
            word: "FAIL 1".into(),
            failures: Some(1),
            message: Some(format!("\n\nactual differs from expected:\n\n{table}\n")),
            batches: None,
            rows_affected: None,
        },
    })
}

/// What a fixture stands in for.
struct StandIn {
    /// The name of its CTE (dbt's: the node's name, or `<source>__<table>`).
    cte: String,
    /// The name messages give it.
    label: String,
    /// The relation's schema and name, whose columns type the fixture's rows.
    schema: String,
    name: String,
    /// The relation as SQL, for messages.
    rendered: String,
}

fn stand_in(manifest: &Manifest, input: &ResolvedInput, model: &Node) -> Result<StandIn, Failure> {
    if let Some(node) = manifest.nodes.get(&input.unique_id) {
        let name = if input.input == Input::This {
            model.name.clone()
        } else {
            node.name.clone()
        };
        return Ok(StandIn {
            cte: name.clone(),
            label: name,
            schema: node.schema.clone(),
            name: node.alias.clone(),
            rendered: node.relation().render_sql(),
        });
    }
    let source = manifest.sources.get(&input.unique_id).ok_or_else(|| {
        Failure::new(format!("the input `{}` is not in the manifest", input.text))
    })?;
    Ok(StandIn {
        cte: format!("{}__{}", source.source_name, source.name),
        label: source.name.clone(),
        schema: source.schema.clone(),
        name: source.identifier.clone(),
        rendered: source.relation().render_sql(),
    })
}
