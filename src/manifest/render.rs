//! Jinja in YAML, rendered where dbt renders it: every config value of the project file
//! (`+schema: "{{ env_var('X') }}"`, `+enabled: "{{ target.name != 'prod' }}"`), and in
//! properties YAML the sources' `database`, `schema` and `identifier`, the configs, `meta`,
//! `tags` and test configs. dbt's exceptions are kept: hooks (`pre-hook`, `post-hook`) stay
//! raw until they run, `vars` until `var()` reads them, descriptions keep `doc()` for the docs,
//! test arguments until the test compiles (`compile`).
//! A value that is one `{{ expression }}` keeps the expression's type (a bool, a list), as dbt's
//! native rendering does; other text renders to text.

use std::rc::Rc;

use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic};
use crate::jinja::{Jinja, Phase, Scope};
use crate::project::properties::{ColumnDef, line_of};
use crate::project::{Project, SourceFile, config};

/// Keys whose values are never rendered here: hooks render when they run, descriptions are
/// documentation.
const RAW_KEYS: [&str; 3] = ["pre_hook", "post_hook", "description"];

/// The project with its YAML values rendered.
pub fn yaml(project: &Project, jinja: &Jinja) -> Result<Project, Vec<Diagnostic>> {
    let mut rendered = project.clone();
    rendered.unrendered = crate::project::Unrendered::of(project);
    let mut problems = Vec::new();
    let project_file = project.project_file.clone();
    {
        let mut renderer = Renderer {
            jinja,
            package: &project.name,
            file: &project_file,
            problems: &mut problems,
        };
        for block in [
            &mut rendered.models_config,
            &mut rendered.seeds_config,
            &mut rendered.snapshots_config,
            &mut rendered.tests_config,
            &mut rendered.exposures_config,
            &mut rendered.sources_config,
        ] {
            renderer.value(block);
        }
    }
    let files: Vec<SourceFile> = project.files.properties.clone();
    let file_of = |path: &str| files.iter().find(|f| f.path == path).cloned();
    for source in &mut rendered.properties.sources {
        let Some(file) = file_of(&source.file) else {
            continue;
        };
        let mut renderer = Renderer {
            jinja,
            package: &project.name,
            file: &file,
            problems: &mut problems,
        };
        if let Some(database) = &mut source.database {
            renderer.text(database);
        }
        renderer.text(&mut source.schema);
        renderer.text(&mut source.loader);
        renderer.map(&mut source.meta);
        renderer.map(&mut source.config);
        if let Some(freshness) = &mut source.freshness {
            renderer.value(freshness);
        }
        renderer.strings(&mut source.tags);
        for table in &mut source.tables {
            renderer.text(&mut table.identifier);
            renderer.map(&mut table.meta);
            if let Some(freshness) = &mut table.freshness {
                renderer.value(freshness);
            }
            renderer.strings(&mut table.tags);
            renderer.tests(&mut table.tests);
            renderer.columns(table.columns.values_mut());
        }
    }
    for patches in rendered.properties.patches.values_mut() {
        for patch in patches.values_mut() {
            let Some(file) = file_of(&patch.file) else {
                continue;
            };
            let mut renderer = Renderer {
                jinja,
                package: &project.name,
                file: &file,
                problems: &mut problems,
            };
            renderer.map(&mut patch.config);
            renderer.map(&mut patch.meta);
            renderer.tests(&mut patch.tests);
            renderer.columns(patch.columns.values_mut());
        }
    }
    if problems.is_empty() {
        Ok(rendered)
    } else {
        Err(problems)
    }
}

struct Renderer<'a> {
    jinja: &'a Jinja,
    /// The project whose file this is: its `var()` scope, as for its nodes.
    package: &'a str,
    file: &'a SourceFile,
    problems: &'a mut Vec<Diagnostic>,
}

pub fn has_jinja(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The expression of a value that is exactly one `{{ ... }}`.
pub fn lone_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%"))
        .then(|| inner.trim_start_matches('-').trim_end_matches('-').trim())
}

impl Renderer<'_> {
    fn scope(&self) -> Rc<Scope> {
        Rc::new(Scope::new(
            Phase::Parse,
            &format!("yaml.{}.{}", self.package, self.file.path),
            Map::new(),
            false,
        ))
    }

    /// Renders one string; on an error, records a diagnostic on its line and keeps the text.
    fn render(&mut self, text: &str) -> Option<Value> {
        if !has_jinja(text) {
            return None;
        }
        let result = match lone_expression(text) {
            Some(expression) => self
                .jinja
                .eval(&self.file.path, expression, self.scope())
                .map(|value| serde_json::to_value(&value).unwrap_or(Value::Null)),
            None => self
                .jinja
                .render_str(&self.file.path, text, self.scope(), Default::default())
                .map(Value::String),
        };
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let line = line_of(&self.file.contents, text.lines().next().unwrap_or(text), 0);
                self.problems.push(
                    Diagnostic::new(
                        Code::ParseYamlJinja,
                        format!("cannot render `{text}`: {}", error.message),
                    )
                    .at_line(&self.file.path, self.file.contents.clone(), line)
                    .with_help(
                        "YAML values see `target`, `env_var()`, `var()` and the project's macros, as in dbt",
                    ),
                );
                None
            }
        }
    }

    fn text(&mut self, text: &mut String) {
        if let Some(value) = self.render(text) {
            *text = match value {
                Value::String(text) => text,
                Value::Null => String::new(),
                other => other.to_string(),
            };
        }
    }

    fn strings(&mut self, items: &mut [String]) {
        for item in items {
            self.text(item);
        }
    }

    fn value(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let Some(rendered) = self.render(text) {
                    *value = rendered;
                }
            }
            Value::Array(items) => self.values(items),
            Value::Object(map) => self.map(map),
            _ => {}
        }
    }

    fn values(&mut self, items: &mut [Value]) {
        for item in items {
            self.value(item);
        }
    }

    fn map(&mut self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if !RAW_KEYS.contains(&config::normalize_key(key).as_str()) {
                self.value(value);
            }
        }
    }

    /// Data tests: their configs render here, their arguments when the test compiles, as in
    /// dbt (whose test names and unique_ids come from the arguments as written).
    fn tests(&mut self, tests: &mut [Value]) {
        for test in tests {
            let Value::Object(test) = test else {
                continue;
            };
            for body in test.values_mut() {
                let Value::Object(body) = body else {
                    continue;
                };
                for (key, value) in body.iter_mut() {
                    if key == "config" || super::data_tests::CONFIG_ARGS.contains(&key.as_str()) {
                        self.value(value);
                    }
                }
            }
        }
    }

    fn columns<'c>(&mut self, columns: impl Iterator<Item = &'c mut ColumnDef>) {
        for column in columns {
            self.map(&mut column.meta);
            self.strings(&mut column.tags);
            self.tests(&mut column.tests);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_expressions_keep_their_type() {
        assert_eq!(
            lone_expression("{{ target.name != 'prod' }}"),
            Some("target.name != 'prod'")
        );
        assert_eq!(lone_expression(" {{- var('x') -}} "), Some("var('x')"));
        assert_eq!(lone_expression("{{ a }}_{{ b }}"), None);
        assert_eq!(lone_expression("raw_{{ target.schema }}"), None);
    }
}
