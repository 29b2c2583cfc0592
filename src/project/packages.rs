//! Installed packages: every folder of `packages-install-path` holding a `dbt_project.yml`, as
//! dbt loads them, read into a [`Package`] (its name, version, `require-dbt-version`, vars and
//! macro files). Also the `require-dbt-version` check of the root project and of each package.
//! Text and settings only: no Jinja, no database.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{SourceFile, yaml};
use crate::deps::version::{self, Specifier};
use crate::diagnostic::Diagnostic;

/// One installed package.
#[derive(Debug, Clone)]
pub struct Package {
    /// Its project name: the namespace of its macros (`dbt_utils`).
    pub name: String,
    /// Its folder relative to the root project (`dbt_packages/dbt_utils`).
    pub path: String,
    pub vars: Map<String, Value>,
    /// Its macro files, named by their path relative to the root project.
    pub macros: Vec<SourceFile>,
    /// Whether it has models, seeds or snapshots of its own (which uxt does not build yet).
    pub has_nodes: bool,
}

/// Loads every package installed under `install_path` (relative to `root`), sorted by folder.
pub fn load(root: &Path, install_path: &str) -> Result<Vec<Package>, Vec<Diagnostic>> {
    let folder = root.join(install_path);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("dbt_project.yml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for name in names {
        match load_one(root, &format!("{install_path}/{name}")) {
            Ok(package) => packages.push(package),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    if problems.is_empty() {
        Ok(packages)
    } else {
        Err(problems)
    }
}

fn load_one(root: &Path, path: &str) -> Result<Package, Diagnostic> {
    let file_name = format!("{path}/dbt_project.yml");
    let text = std::fs::read_to_string(root.join(&file_name)).map_err(|error| {
        Diagnostic::new(
            "uxt::project::read",
            format!("cannot read `{file_name}`: {error}"),
        )
        .in_file(&file_name)
        .with_help("run `uxt deps` to install the packages again")
    })?;
    let contents: Arc<str> = Arc::from(text);
    let document = yaml::parse(&file_name, &contents)?;
    let name = document
        .get("name")
        .and_then(yaml::scalar_string)
        .ok_or_else(|| {
            Diagnostic::new(
                "uxt::project::missing_name",
                format!("package `{path}` has no `name` in its dbt_project.yml"),
            )
            .at_line(&file_name, contents.clone(), 1)
            .with_help("run `uxt deps` to install the packages again")
        })?;
    check_dbt_version(
        &format!("package `{name}`"),
        &file_name,
        &contents,
        document.get("require-dbt-version").unwrap_or(&Value::Null),
    )?;
    let macro_paths = {
        let listed = yaml::string_list(document.get("macro-paths").unwrap_or(&Value::Null));
        if listed.is_empty() {
            vec!["macros".to_string()]
        } else {
            listed
        }
    };
    let mut macros = Vec::new();
    for macro_path in macro_paths {
        let base = root.join(path).join(&macro_path);
        if !base.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&base)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|error| {
                Diagnostic::new(
                    "uxt::project::read",
                    format!("cannot list `{path}/{macro_path}`: {error}"),
                )
            })?;
            let is_sql = entry
                .path()
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
            if !entry.file_type().is_file() || !is_sql {
                continue;
            }
            let inside = entry
                .path()
                .strip_prefix(root.join(path))
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let relative = format!("{path}/{inside}");
            let text = std::fs::read_to_string(entry.path()).map_err(|error| {
                Diagnostic::new(
                    "uxt::project::read",
                    format!("cannot read `{relative}`: {error}"),
                )
                .in_file(&relative)
            })?;
            macros.push(SourceFile {
                path: relative,
                contents: Arc::from(text),
            });
        }
    }
    let has_nodes = [
        ("model-paths", "models"),
        ("seed-paths", "seeds"),
        ("snapshot-paths", "snapshots"),
    ]
    .iter()
    .any(|(key, default)| {
        let listed = yaml::string_list(document.get(*key).unwrap_or(&Value::Null));
        let dirs = if listed.is_empty() {
            vec![default.to_string()]
        } else {
            listed
        };
        dirs.iter().any(|dir| {
            walkdir::WalkDir::new(root.join(path).join(dir))
                .follow_links(true)
                .into_iter()
                .filter_map(Result::ok)
                .any(|entry| {
                    entry
                        .path()
                        .extension()
                        .is_some_and(|e| e == "sql" || e == "csv")
                })
        })
    });
    Ok(Package {
        name,
        has_nodes,
        path: path.to_string(),
        vars: match document.get("vars") {
            Some(Value::Object(vars)) => vars.clone(),
            _ => Map::new(),
        },
        macros,
    })
}

/// `require-dbt-version`: a version or a list of specifiers that [`crate::DBT_VERSION`] must
/// satisfy, as dbt checks it.
pub fn check_dbt_version(
    who: &str,
    file: &str,
    contents: &Arc<str>,
    required: &Value,
) -> Result<(), Diagnostic> {
    let texts = yaml::string_list(required);
    if texts.is_empty() {
        return Ok(());
    }
    let line = contents
        .lines()
        .position(|line| line.starts_with("require-dbt-version"))
        .map_or(1, |index| index + 1);
    let mut specifiers = Vec::new();
    for text in &texts {
        match Specifier::parse(text) {
            Some(specifier) => specifiers.push(specifier),
            None => {
                return Err(Diagnostic::new(
                    "uxt::project::require_dbt_version",
                    format!("`{text}` in `require-dbt-version` of {who} is not a version"),
                )
                .at_line(file, contents.clone(), line)
                .with_help("write versions as `1.2.3`, or ranges as `>=1.5.0` and `<2.0.0`"));
            }
        }
    }
    let dbt = version::parse_version(crate::DBT_VERSION).expect("a valid version constant");
    if version::satisfies(&dbt, &specifiers) {
        Ok(())
    } else {
        Err(Diagnostic::new(
            "uxt::project::require_dbt_version",
            format!(
                "{who} requires dbt `{}`, and uxt behaves as dbt {}",
                texts.join(", "),
                crate::DBT_VERSION
            ),
        )
        .at_line(file, contents.clone(), line)
        .with_help("install a version of the package made for this dbt version (`uxt deps` after changing its version), or widen the range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbt_version_requirements_name_the_file_and_line() {
        let contents: Arc<str> =
            Arc::from("name: p\nrequire-dbt-version: [\">=1.3.0\", \"<1.5.0\"]\n");
        let required = serde_json::json!([">=1.3.0", "<1.5.0"]);
        let problem = check_dbt_version(
            "package `p`",
            "dbt_packages/p/dbt_project.yml",
            &contents,
            &required,
        )
        .unwrap_err();
        assert_eq!(
            problem.message,
            "package `p` requires dbt `>=1.3.0, <1.5.0`, and uxt behaves as dbt 1.11.0"
        );
        assert_eq!(problem.location.unwrap().line, Some(2));
        let fine = serde_json::json!([">=1.3.0", "<3.0.0"]);
        assert!(check_dbt_version("p", "f", &contents, &fine).is_ok());
        assert!(check_dbt_version("p", "f", &contents, &Value::Null).is_ok());
    }
}
