//! Unit tests in the manifest: each `unit_tests:` entry becomes a node of type `unit_test` on
//! the model it tests, with its inputs resolved to the nodes and sources they stand in for and
//! its fixture files read, as dbt resolves them after parsing. Errors use dbt's words and point
//! at the properties file.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{Manifest, Node, ResourceType, yaml_fqn};
use crate::diagnostic::{Code, Diagnostic};
use crate::jinja::RefCall;
use crate::project::unit_tests::{Fixture, Format, Input, Rows, UnitTestDef, csv_rows};
use crate::project::{Project, SourceFile};

/// What a unit test node carries beyond a node's fields.
#[derive(Debug, Clone)]
pub struct UnitTest {
    pub def: UnitTestDef,
    /// The tested model.
    pub model: String,
    /// Each `given`, with the unique_id of the node or source it stands in for.
    pub inputs: Vec<ResolvedInput>,
}

#[derive(Debug, Clone)]
pub struct ResolvedInput {
    pub input: Input,
    /// The input as written (`ref('stg_orders')`).
    pub text: String,
    /// The node or source it stands in for (the tested model for `this`).
    pub unique_id: String,
    pub fixture: Fixture,
}

/// The unit tests of the project as nodes, each depending on the model it tests.
pub fn nodes(project: &Project, manifest: &Manifest) -> Result<Vec<Node>, Vec<Diagnostic>> {
    let mut nodes = Vec::new();
    let mut problems = Vec::new();
    for def in &project.properties.unit_tests {
        match node(project, manifest, def) {
            Ok(node) => nodes.push(node),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(nodes)
    } else {
        Err(problems)
    }
}

fn node(project: &Project, manifest: &Manifest, def: &UnitTestDef) -> Result<Node, Diagnostic> {
    let file = project
        .files
        .properties
        .iter()
        .find(|f| f.path == def.file)
        .cloned()
        .unwrap_or_else(|| SourceFile {
            path: def.file.clone(),
            contents: Arc::from(""),
        });
    let error = |line: usize, message: String| {
        Diagnostic::new(Code::ParseUnitTest, message).at_line(
            &file.path,
            file.contents.clone(),
            line,
        )
    };
    let index = manifest.ref_index();
    let call = RefCall {
        package: None,
        name: def.model.clone(),
        version: None,
    };
    let Some(model) = index
        .resolve(&project.name, &call)
        .filter(|n| n.resource_type == ResourceType::Model)
    else {
        return Err(error(
            def.line,
            format!(
                "Unable to find model '{}.{}' for unit test '{}' in {}",
                project.name, def.model, def.name, def.file
            ),
        ));
    };
    if def.versions.is_some() {
        // Model versions are not in this manifest: every model is unversioned, as dbt sees it.
        return Err(error(
            def.line,
            format!(
                "Unit test '{}' should not have a versions include or exclude when referencing \
                 non-versioned model '{}'",
                def.name, model.name
            ),
        ));
    }
    let unique_id = format!("unit_test.{}.{}.{}", project.name, model.name, def.name);
    let uses_incremental = model.raw_code.contains("is_incremental");
    let incremental_override = def.overrides.macros.get("is_incremental");
    if model.materialized() == "incremental" && uses_incremental {
        match incremental_override {
            Some(Json::Bool(true)) if !def.given.iter().any(|g| g.input == Input::This) => {
                return Err(error(
                    def.line,
                    format!(
                        "Unit test '{}' for incremental model '{}' must have a 'this' input",
                        def.name, model.name
                    ),
                ));
            }
            Some(Json::Bool(_)) => {}
            _ => {
                return Err(error(
                    def.line,
                    format!(
                        "Boolean override for 'is_incremental' must be provided for unit test '{}' in model '{}'",
                        def.name, model.name
                    ),
                ));
            }
        }
    }
    let mut inputs = Vec::new();
    for given in &def.given {
        let resolved = match &given.input {
            Input::This => Some(model.unique_id.clone()),
            Input::Ref { package, name, .. } => index
                .resolve(
                    &project.name,
                    &RefCall {
                        package: package.clone(),
                        name: name.clone(),
                        version: None,
                    },
                )
                .map(|n| n.unique_id.clone()),
            Input::Source { source, table } => manifest
                .sources
                .values()
                .find(|s| &s.source_name == source && &s.name == table)
                .map(|s| s.unique_id.clone()),
        };
        let Some(input_id) = resolved else {
            return Err(error(
                given.line,
                format!(
                    "Unit test '{}' had an input ({}) which was not found in the manifest.",
                    def.name, given.text
                ),
            ));
        };
        let fixture = read_fixture(project, manifest, &given.fixture, &input_id)
            .map_err(|message| error(given.fixture.line, message))?;
        inputs.push(ResolvedInput {
            input: given.input.clone(),
            text: given.text.clone(),
            unique_id: input_id,
            fixture,
        });
    }
    let expect = read_fixture(project, manifest, &def.expect, "")
        .map_err(|message| error(def.expect.line, message))?;
    let mut config: Map<String, Json> = Map::new();
    config.insert("tags".into(), Json::Array(Vec::new()));
    config.insert("meta".into(), Json::Object(Map::new()));
    config.insert("enabled".into(), Json::Bool(true));
    config.extend(def.config.clone());
    config.insert("materialized".into(), Json::from("unit"));
    let path = def.file.rsplit('/').next().unwrap_or(&def.file).to_string();
    let fqn = yaml_fqn(project, &def.file, &[&model.name, &def.name]);
    let mut def = def.clone();
    def.expect = expect;
    Ok(Node {
        unique_id,
        resource_type: ResourceType::UnitTest,
        name: def.name.clone(),
        package_name: project.name.clone(),
        path,
        original_file_path: def.file.clone(),
        fqn,
        raw_code: model.raw_code.clone(),
        checksum: String::new(),
        config,
        unrendered_config: Map::new(),
        description: def.description.clone(),
        columns: Default::default(),
        patch_path: None,
        refs: Vec::new(),
        sources: Vec::new(),
        depends_on_nodes: vec![model.unique_id.clone()],
        depends_on_macros: Vec::new(),
        database: model.database.clone(),
        schema: model.schema.clone(),
        alias: def.name.clone(),
        tests: Vec::new(),
        test: None,
        call_sites: Vec::new(),
        constraints: Vec::new(),
        version: None,
        deprecation_date: None,
        unit_test: Some(Box::new(UnitTest {
            model: model.unique_id.clone(),
            inputs,
            def,
        })),
    })
}

/// A fixture with its rows in hand: a `fixture` file read (`csv` into rows, `sql` as text), a
/// seed input without rows read from the seed's file, as dbt reads them.
fn read_fixture(
    project: &Project,
    manifest: &Manifest,
    fixture: &Fixture,
    input_id: &str,
) -> Result<Fixture, String> {
    let rows = match &fixture.rows {
        Rows::File(name) => {
            let extension = match fixture.format {
                Format::Sql => "sql",
                _ => "csv",
            };
            let file = project
                .files
                .fixtures
                .iter()
                .find(|f| {
                    let path = std::path::Path::new(&f.path);
                    path.file_stem().is_some_and(|stem| stem == name.as_str())
                        && path.extension().is_some_and(|e| e == extension)
                })
                .ok_or_else(|| {
                    format!(
                        "File not found for fixture '{name}' in unit tests: put `{name}.{extension}` \
                         in a `fixtures` folder under the test paths ({})",
                        project.paths.test.join(", ")
                    )
                })?;
            match fixture.format {
                Format::Sql => Rows::Sql(file.contents.to_string()),
                _ => Rows::Table(csv_rows(&file.contents)?),
            }
        }
        Rows::Seed => {
            let seed = manifest
                .nodes
                .get(input_id)
                .filter(|n| n.resource_type == ResourceType::Seed)
                .ok_or_else(|| {
                    "a `given` without `rows` takes its rows from a seed, and this input is not a \
                     seed: write its rows (`rows: []` for none)"
                        .to_string()
                })?;
            let text = std::fs::read_to_string(project.root.join(&seed.original_file_path))
                .map_err(|e| format!("cannot read `{}`: {e}", seed.original_file_path))?;
            Rows::Table(csv_rows(&text)?)
        }
        other => other.clone(),
    };
    Ok(Fixture {
        format: fixture.format,
        rows,
        line: fixture.line,
    })
}
