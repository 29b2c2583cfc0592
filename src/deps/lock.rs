//! `package-lock.yml` in dbt's shape: every package, transitive ones included, pinned (hub
//! version, git commit), with its project `name`, and the `sha1_hash` of the package list it was
//! resolved from. Also the YAML writer shared with `--add-package`'s rewrite of `packages.yml`.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fetch::Pinned;
use super::spec::{self, Source};
use crate::diagnostic::{Code, Diagnostic};
use crate::project::SourceFile;

pub const LOCK_FILE: &str = "package-lock.yml";

/// One locked package.
#[derive(Debug, Clone, PartialEq)]
pub struct Locked {
    pub name: String,
    pub pinned: Pinned,
}

impl Locked {
    /// The entry as dbt writes it.
    pub fn entry(&self) -> Map<String, Value> {
        let mut entry = Map::new();
        let text = |s: &str| Value::String(s.to_string());
        match &self.pinned {
            Pinned::Local { path } => {
                entry.insert("local".into(), text(path));
            }
            Pinned::Git {
                url_unrendered,
                revision,
                subdirectory,
                ..
            } => {
                entry.insert("git".into(), text(url_unrendered));
                entry.insert("revision".into(), text(revision));
                if let Some(sub) = subdirectory {
                    entry.insert("subdirectory".into(), text(sub));
                }
            }
            Pinned::Tarball { url_unrendered, .. } => {
                entry.insert("tarball".into(), text(url_unrendered));
            }
            Pinned::Hub { package, version } => {
                entry.insert("package".into(), text(package));
                entry.insert("version".into(), text(version));
            }
        }
        entry.insert("name".into(), text(&self.name));
        entry
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    pub packages: Vec<Locked>,
    pub sha1_hash: Option<String>,
}

impl Lock {
    /// The file's text: keys sorted and lists indented, as dbt's YAML dumper writes it.
    pub fn to_yaml(&self) -> String {
        let mut document = Map::new();
        document.insert(
            "packages".into(),
            Value::Array(
                self.packages
                    .iter()
                    .map(|locked| Value::Object(locked.entry()))
                    .collect(),
            ),
        );
        if let Some(hash) = &self.sha1_hash {
            document.insert("sha1_hash".into(), Value::String(hash.clone()));
        }
        to_yaml(&Value::Object(document))
    }
}

/// Reads `package-lock.yml` beside the project file, rendering `env_var()` as dbt does.
pub fn read(root: &Path, vars: &Map<String, Value>) -> Result<Option<Lock>, Vec<Diagnostic>> {
    let path = root.join(LOCK_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|error| {
        vec![
            Diagnostic::new(
                Code::DepsRead,
                format!("cannot read `{LOCK_FILE}`: {error}"),
            )
            .in_file(LOCK_FILE),
        ]
    })?;
    let file = SourceFile {
        path: LOCK_FILE.to_string(),
        contents: Arc::from(text),
    };
    let document = crate::project::yaml::parse(LOCK_FILE, &file.contents).map_err(|d| vec![d])?;
    let sha1_hash = document
        .get("sha1_hash")
        .and_then(Value::as_str)
        .map(str::to_string);
    let specs = spec::parse(&file, &document, vars)?;
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for spec in specs {
        let name = spec.rendered.get("name").and_then(Value::as_str);
        let unrendered = |key: &str| {
            spec.unrendered
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let pinned = match &spec.source {
            Source::Local { path } => Some(Pinned::Local { path: path.clone() }),
            Source::Git {
                url,
                revision: Some(revision),
                subdirectory,
                warn_unpinned,
            } => Some(Pinned::Git {
                url: url.clone(),
                url_unrendered: unrendered("git").unwrap_or_else(|| url.clone()),
                revision: revision.clone(),
                subdirectory: subdirectory.clone(),
                warn_unpinned: *warn_unpinned,
            }),
            Source::Tarball { url, name } => Some(Pinned::Tarball {
                url: url.clone(),
                url_unrendered: unrendered("tarball").unwrap_or_else(|| url.clone()),
                name: name.clone(),
            }),
            Source::Hub {
                package, versions, ..
            } => match versions.as_slice() {
                [version] => Some(Pinned::Hub {
                    package: package.clone(),
                    version: version.trim_start_matches('=').to_string(),
                }),
                _ => None,
            },
            Source::Git { revision: None, .. } => None,
        };
        match (pinned, name) {
            (Some(pinned), Some(name)) => packages.push(Locked {
                name: name.to_string(),
                pinned,
            }),
            _ => problems.push(
                Diagnostic::new(
                    Code::DepsLock,
                    format!(
                        "`{}` is not pinned with a `name` in the lock",
                        spec.source.label()
                    ),
                )
                .at_line(LOCK_FILE, file.contents.clone(), spec.line)
                .with_help("delete package-lock.yml and run `uxt deps` to write it again"),
            ),
        }
    }
    if problems.is_empty() {
        Ok(Some(Lock {
            packages,
            sha1_hash,
        }))
    } else {
        Err(problems)
    }
}

/// Block-style YAML with sorted keys and indented lists, as PyYAML writes it with dbt's dumper.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

fn emit(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            for (index, key) in keys.into_iter().enumerate() {
                // The first key of a list item shares the `- ` line.
                if !(index == 0 && out.ends_with("- ")) {
                    out.push_str(&pad);
                }
                out.push_str(&scalar(key));
                out.push(':');
                match &entries[key] {
                    Value::Object(inner) if !inner.is_empty() => {
                        out.push('\n');
                        emit(&entries[key], indent + 2, out);
                    }
                    Value::Array(items) if !items.is_empty() => {
                        out.push('\n');
                        emit(&entries[key], indent + 2, out);
                    }
                    other => {
                        out.push(' ');
                        out.push_str(&inline(other));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Value::Object(inner) if !inner.is_empty() => emit(item, indent + 2, out),
                    other => {
                        out.push_str(&inline(other));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar(text),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => unreachable!("non-empty lists are written as blocks"),
    }
}

/// A string as a plain YAML scalar when it reads back as the same string, else single-quoted.
fn scalar(text: &str) -> String {
    let reads_as_other = matches!(
        text.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || text.ends_with(' ')
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.contains('\n');
    if reads_as_other {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dbts_lock_shape() {
        let lock = Lock {
            packages: vec![
                Locked {
                    name: "dbt_date".into(),
                    pinned: Pinned::Local { path: "../".into() },
                },
                Locked {
                    name: "dbt_utils".into(),
                    pinned: Pinned::Hub {
                        package: "dbt-labs/dbt_utils".into(),
                        version: "1.1.1".into(),
                    },
                },
                Locked {
                    name: "shim".into(),
                    pinned: Pinned::Git {
                        url: "https://x/shim.git".into(),
                        url_unrendered: "https://{{ env_var('T') }}@x/shim.git".into(),
                        revision: "0123abc".into(),
                        subdirectory: Some("pkg".into()),
                        warn_unpinned: true,
                    },
                },
            ],
            sha1_hash: Some("f0236c7f2e9f17b56369d819042ae243dfe27246".into()),
        };
        assert_eq!(
            lock.to_yaml(),
            "packages:\n  - local: ../\n    name: dbt_date\n  - name: dbt_utils\n    package: dbt-labs/dbt_utils\n    version: 1.1.1\n  - git: https://{{ env_var('T') }}@x/shim.git\n    name: shim\n    revision: 0123abc\n    subdirectory: pkg\nsha1_hash: f0236c7f2e9f17b56369d819042ae243dfe27246\n"
        );
    }

    #[test]
    fn quotes_what_would_read_back_otherwise() {
        assert_eq!(scalar(">=1.0.0"), "'>=1.0.0'");
        assert_eq!(scalar("<2.0.0"), "<2.0.0");
        assert_eq!(scalar("1.0"), "'1.0'");
        assert_eq!(scalar("it's: here"), "'it''s: here'");
        assert_eq!(scalar("dbt-labs/dbt_utils"), "dbt-labs/dbt_utils");
        let document =
            serde_json::json!({"packages": [{"package": "a/b", "version": [">=1.0.0", "<2.0.0"]}]});
        assert_eq!(
            to_yaml(&document),
            "packages:\n  - package: a/b\n    version:\n      - '>=1.0.0'\n      - <2.0.0\n"
        );
    }
}
