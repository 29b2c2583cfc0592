//! Installed packages: every folder of `packages-install-path` holding a `dbt_project.yml`, as
//! dbt loads them, each read as a [`Project`] of its own (its files, properties, configs and
//! vars) whose file paths start with the package's folder, so that they stay unique beside the
//! root project's. Also the `require-dbt-version` check of the root project and each package.
//! Text and settings only: no Jinja, no database.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::{Project, SourceFile, yaml};
use crate::deps::version::{self, Specifier};
use crate::diagnostic::{Code, Diagnostic};

/// Loads every package installed under `install_path` (relative to `root`), sorted by folder.
pub fn load(
    root: &Path,
    install_path: &str,
    version_check: bool,
) -> Result<Vec<Project>, Vec<Diagnostic>> {
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
        match load_one(root, &format!("{install_path}/{name}"), version_check) {
            Ok(package) => packages.push(package),
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    if problems.is_empty() {
        Ok(packages)
    } else {
        Err(problems)
    }
}

fn load_one(root: &Path, folder: &str, version_check: bool) -> Result<Project, Vec<Diagnostic>> {
    let mut package = super::read_project_file(Some(&root.join(folder)))?;
    let prefix = format!("{folder}/");
    package.files = super::discover(&package.root, &package.paths, &package.target_path)
        .map_err(|d| vec![d])?;
    rebase(&mut package, &prefix);
    package.root = root.to_path_buf();
    if version_check {
        check_dbt_version(
            &format!("package `{}`", package.name),
            &package.project_file.path,
            &package.project_file.contents,
            &package.require_dbt_version,
        )
        .map_err(|d| vec![d])?;
    }
    package.properties = super::properties::read(&package.files.properties, &package.files.docs)?;
    Ok(package)
}

/// Puts `prefix` in front of every path of a package, so they are relative to the root project.
fn rebase(package: &mut Project, prefix: &str) {
    let files = &mut package.files;
    for list in [
        &mut files.models,
        &mut files.analyses,
        &mut files.macros,
        &mut files.snapshots,
        &mut files.tests,
        &mut files.properties,
        &mut files.docs,
    ] {
        for file in list.iter_mut() {
            file.path = format!("{prefix}{}", file.path);
        }
    }
    for seed in &mut files.seeds {
        *seed = format!("{prefix}{seed}");
    }
    files.selectors = None;
    let paths = &mut package.paths;
    for list in [
        &mut paths.model,
        &mut paths.seed,
        &mut paths.snapshot,
        &mut paths.test,
        &mut paths.macros,
        &mut paths.analysis,
        &mut paths.docs,
    ] {
        for path in list.iter_mut() {
            *path = format!("{prefix}{path}");
        }
    }
    package.project_file = SourceFile {
        path: format!("{prefix}{}", package.project_file.path),
        contents: package.project_file.contents.clone(),
    };
    package.simulation = Value::Null;
    package.simulation_file = None;
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
                    Code::ProjectRequireDbtVersion,
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
            Code::ProjectRequireDbtVersion,
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
