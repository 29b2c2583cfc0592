//! What a project asks for: `packages.yml` or `dependencies.yml` read into [`Spec`]s, with
//! `env_var()`/`var()` rendered as dbt renders them, and dbt's `sha1_hash` of the list, which
//! tells whether `package-lock.yml` still matches. No network, no installing.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::{SourceFile, yaml};

pub const PACKAGES_FILE: &str = "packages.yml";
pub const DEPENDENCIES_FILE: &str = "dependencies.yml";

/// Where a package comes from, as written (rendered).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A folder, relative to the root project.
    Local { path: String },
    Git {
        url: String,
        revision: Option<String>,
        subdirectory: Option<String>,
        warn_unpinned: bool,
    },
    /// An archive by URL or file path; `name` is the project name it installs as.
    Tarball { url: String, name: String },
    /// A package of the dbt hub, `org/name`, with its version specifiers.
    Hub {
        package: String,
        versions: Vec<String>,
        install_prerelease: bool,
    },
}

impl Source {
    /// dbt's word for the kind of source.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Local { .. } => "local",
            Source::Git { .. } => "git",
            Source::Tarball { .. } => "tarball",
            Source::Hub { .. } => "hub",
        }
    }

    /// How the package is named in messages: its path, URL or hub name.
    pub fn label(&self) -> String {
        match self {
            Source::Local { path } => path.clone(),
            Source::Git {
                url,
                subdirectory: Some(sub),
                ..
            } => format!("{url}/{sub}"),
            Source::Git { url, .. } => url.clone(),
            Source::Tarball { url, .. } => url.clone(),
            Source::Hub { package, .. } => package.clone(),
        }
    }
}

/// One entry of `packages:`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub source: Source,
    /// The entry as written, before rendering: what dbt hashes and what the lock keeps for
    /// git and tarball URLs, so that secrets in `env_var()` never reach the file.
    pub unrendered: Map<String, Value>,
    /// The entry after rendering.
    pub rendered: Map<String, Value>,
    /// The 1-based line of the entry in its file.
    pub line: usize,
}

/// A project's package file and what it lists.
#[derive(Debug, Clone)]
pub struct Specs {
    /// `packages.yml` or `dependencies.yml`, relative to the project.
    pub file: SourceFile,
    pub specs: Vec<Spec>,
}

/// Keys an entry may hold, by kind (dbt's schema).
const KEYS: &[(&str, &[&str])] = &[
    ("local", &["local", "name"]),
    ("tarball", &["tarball", "name"]),
    (
        "git",
        &["git", "revision", "warn-unpinned", "subdirectory", "name"],
    ),
    (
        "package",
        &["package", "version", "install_prerelease", "name"],
    ),
];

/// Reads the package file of the project at `root`: `dependencies.yml` when it lists
/// `packages:`, else `packages.yml`. `None` when neither exists.
pub fn read(root: &Path, vars: &Map<String, Value>) -> Result<Option<Specs>, Vec<Diagnostic>> {
    let load = |name: &str| -> Result<Option<(SourceFile, Value)>, Vec<Diagnostic>> {
        let path = root.join(name);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|error| {
            vec![
                Diagnostic::new(Code::DepsRead, format!("cannot read `{name}`: {error}"))
                    .in_file(name),
            ]
        })?;
        let file = SourceFile {
            path: name.to_string(),
            contents: Arc::from(text),
        };
        let document = yaml::parse(name, &file.contents).map_err(|d| vec![d])?;
        Ok(Some((file, document)))
    };
    let packages = load(PACKAGES_FILE)?;
    let dependencies = load(DEPENDENCIES_FILE)?;
    let lists = |found: &Option<(SourceFile, Value)>| {
        found
            .as_ref()
            .is_some_and(|(_, document)| document.get("packages").is_some())
    };
    if let Some((file, document)) = &packages
        && document.get("projects").is_some()
    {
        return Err(vec![
            Diagnostic::new(
                Code::DepsInvalid,
                "`projects:` belongs in dependencies.yml, not in packages.yml",
            )
            .at_line(
                &file.path,
                file.contents.clone(),
                line_of(&file.contents, "projects:"),
            )
            .with_help("move the `projects:` list into dependencies.yml"),
        ]);
    }
    if let Some((file, document)) = &dependencies
        && document
            .get("projects")
            .is_some_and(|projects| !projects.is_null())
    {
        crate::ui::diagnostics(&[Diagnostic::new(
            Code::ProjectUnusedKey,
            "`projects:` is accepted as dbt accepts it, but not used: uxt resolves no \
             cross-project `ref` (dbt Mesh needs dbt Cloud's metadata of the other project)",
        )
        .at_line(
            &file.path,
            file.contents.clone(),
            line_of(&file.contents, "projects:"),
        )
        .with_help(
            "install the other project as a package under `packages:` to `ref` its models",
        )]);
    }
    let chosen = match (lists(&packages), lists(&dependencies)) {
        (true, true) => {
            let (file, _) = dependencies.as_ref().expect("checked above");
            return Err(vec![
                Diagnostic::new(
                    Code::DepsInvalid,
                    "both packages.yml and dependencies.yml list `packages:`",
                )
                .at_line(
                    &file.path,
                    file.contents.clone(),
                    line_of(&file.contents, "packages:"),
                )
                .with_help("keep the list in one of the two files"),
            ]);
        }
        (_, true) => dependencies,
        _ => packages,
    };
    let Some((file, document)) = chosen else {
        return Ok(None);
    };
    let specs = parse(&file, &document, vars)?;
    Ok(Some(Specs { file, specs }))
}

/// The entries of a `packages:` list; `file` names them in errors.
pub fn parse(
    file: &SourceFile,
    document: &Value,
    vars: &Map<String, Value>,
) -> Result<Vec<Spec>, Vec<Diagnostic>> {
    let entries = match document {
        Value::Null => return Ok(Vec::new()),
        Value::Object(top) => match top.get("packages") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(entries)) => entries,
            Some(_) => {
                return Err(vec![invalid(
                    file,
                    "packages:",
                    "`packages:` must be a list of packages",
                )]);
            }
        },
        _ => {
            return Err(vec![
                Diagnostic::new(
                    Code::DepsInvalid,
                    format!("`{}` must be a mapping with a `packages:` list", file.path),
                )
                .at_line(&file.path, file.contents.clone(), 1),
            ]);
        }
    };
    let mut problems = Vec::new();
    let mut specs = Vec::new();
    for entry in entries {
        match parse_entry(file, entry, vars) {
            Ok(spec) => specs.push(spec),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(problems)
    }
}

/// A `packages:` list that did not come from a file (a hub version's dependencies).
pub fn parse_list(
    origin: &str,
    entries: &[Value],
    vars: &Map<String, Value>,
) -> Result<Vec<Spec>, Vec<Diagnostic>> {
    let file = SourceFile {
        path: origin.to_string(),
        contents: Arc::from(""),
    };
    parse(&file, &serde_json::json!({ "packages": entries }), vars)
}

fn invalid(file: &SourceFile, near: &str, message: impl Into<String>) -> Diagnostic {
    let diagnostic = Diagnostic::new(Code::DepsInvalid, message);
    if file.contents.is_empty() {
        diagnostic.in_file(&file.path)
    } else {
        diagnostic.at_line(
            &file.path,
            file.contents.clone(),
            line_of(&file.contents, near),
        )
    }
}

fn parse_entry(
    file: &SourceFile,
    entry: &Value,
    vars: &Map<String, Value>,
) -> Result<Spec, Diagnostic> {
    let Value::Object(unrendered) = entry else {
        return Err(invalid(
            file,
            "packages:",
            "each package must be a mapping such as `- package: dbt-labs/dbt_utils`",
        ));
    };
    let anchor = ["local", "git", "tarball", "package", "private"]
        .iter()
        .find_map(|key| unrendered.get(*key).and_then(yaml::scalar_string))
        .unwrap_or_default();
    let line = if file.contents.is_empty() {
        0
    } else {
        line_of(&file.contents, &anchor)
    };
    let at = |message: String| {
        let diagnostic = Diagnostic::new(Code::DepsInvalid, message);
        if file.contents.is_empty() {
            diagnostic.in_file(&file.path)
        } else {
            diagnostic.at_line(&file.path, file.contents.clone(), line)
        }
    };
    if unrendered.contains_key("private") {
        return Err(at(format!(
            "`private: {anchor}` needs a git provider integration that uxt does not have"
        ))
        .with_help("use `git:` with the repository's URL instead"));
    }
    let Some((kind, allowed)) = KEYS.iter().find(|(key, _)| unrendered.contains_key(*key)) else {
        return Err(at("a package needs one of `package:`, `git:`, `local:` or `tarball:`".into())
            .with_help("for example `- package: dbt-labs/dbt_utils` with `version: [\">=1.0.0\", \"<2.0.0\"]`"));
    };
    for key in unrendered.keys() {
        if !allowed.contains(&key.as_str()) {
            let help = match closest(key, allowed.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("a `{kind}` package takes {}", allowed.join(", ")),
            };
            return Err(at(format!("unknown key `{key}` in a `{kind}` package")).with_help(help));
        }
    }
    let mut rendered = Map::new();
    for (key, value) in unrendered {
        let value = render(value, vars).map_err(|error| {
            at(format!("cannot render `{key}`: {error}"))
                .with_help("only `env_var()` and `var()` (from `--vars`) are available here")
        })?;
        rendered.insert(key.clone(), value);
    }
    let text = |key: &str| rendered.get(key).and_then(yaml::scalar_string);
    let required = |key: &str| -> Result<String, Diagnostic> {
        text(key)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| at(format!("this `{kind}` package has no `{key}`")))
    };
    let source = match *kind {
        "local" => Source::Local {
            path: required("local")?,
        },
        "tarball" => Source::Tarball {
            url: required("tarball")?,
            name: required("name").map_err(|d| {
                d.with_help("a tarball package needs `name:`, the project name it installs as")
            })?,
        },
        "git" => Source::Git {
            url: required("git")?,
            revision: text("revision"),
            subdirectory: text("subdirectory"),
            warn_unpinned: rendered.get("warn-unpinned") != Some(&Value::Bool(false)),
        },
        _ => {
            let package = required("package")?;
            let versions = match rendered.get("version") {
                Some(Value::Array(items)) => items.iter().filter_map(yaml::scalar_string).collect(),
                Some(value) => yaml::scalar_string(value).into_iter().collect(),
                None => Vec::new(),
            };
            if versions.is_empty() {
                return Err(
                    at(format!("hub package `{package}` has no `version`")).with_help(
                        "give a version or a range, such as `version: [\">=1.0.0\", \"<2.0.0\"]`",
                    ),
                );
            }
            for version in &versions {
                if super::version::Specifier::parse(version).is_none() {
                    return Err(at(format!("`{version}` is not a version of `{package}`"))
                        .with_help(
                            "write versions as `1.2.3`, or ranges as `>=1.0.0` and `<2.0.0`",
                        ));
                }
            }
            Source::Hub {
                package,
                versions,
                install_prerelease: rendered.get("install_prerelease") == Some(&Value::Bool(true)),
            }
        }
    };
    Ok(Spec {
        source,
        unrendered: unrendered.clone(),
        rendered,
        line,
    })
}

/// Renders Jinja in the strings of a value: `env_var()` and `var()`, as dbt's package renderer.
pub fn render(value: &Value, vars: &Map<String, Value>) -> Result<Value, String> {
    match value {
        Value::String(text) if text.contains("{{") || text.contains("{%") => {
            render_text(text, vars).map(Value::String)
        }
        Value::Array(items) => items
            .iter()
            .map(|item| render(item, vars))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(entries) => entries
            .iter()
            .map(|(key, item)| Ok((key.clone(), render(item, vars)?)))
            .collect::<Result<_, String>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn render_text(text: &str, vars: &Map<String, Value>) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_function(
        "env_var",
        |name: String, default: Option<String>| -> Result<String, minijinja::Error> {
            std::env::var(&name).ok().or(default).ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("environment variable `{name}` is not set"),
                )
            })
        },
    );
    let vars = vars.clone();
    env.add_function(
        "var",
        move |name: String,
              default: Option<minijinja::Value>|
              -> Result<minijinja::Value, minijinja::Error> {
            vars.get(&name)
                .map(crate::jinja::to_value)
                .or(default)
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("var `{name}` is not set"),
                    )
                })
        },
    );
    env.render_str(text, ())
        .map_err(|e| e.detail().unwrap_or("cannot render").to_string())
}

/// dbt's `sha1_hash` of a package list: each entry as dbt's `to_dict()` (the rendered keys, the
/// hub's `install_prerelease` default, and the entry as written under `unrendered`), dumped as
/// Python's `json.dumps(..., sort_keys=True)`, sorted, joined by newlines.
pub fn sha1_hash(specs: &[Spec]) -> String {
    let mut lines: Vec<String> = specs
        .iter()
        .map(|spec| {
            let mut dict = spec.rendered.clone();
            if matches!(spec.source, Source::Hub { .. }) && !dict.contains_key("install_prerelease")
            {
                dict.insert("install_prerelease".into(), Value::Bool(false));
            }
            dict.retain(|_, value| !value.is_null());
            dict.insert("unrendered".into(), Value::Object(spec.unrendered.clone()));
            let mut out = String::new();
            python_json(&Value::Object(dict), &mut out);
            out
        })
        .collect();
    lines.sort();
    sha1_hex(lines.join("\n").as_bytes())
}

/// SHA-1 (FIPS 180-4) as lowercase hex: only for dbt's lock hash, which is SHA-1.
fn sha1_hex(data: &[u8]) -> String {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let next = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = next;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(value);
        }
    }
    state.iter().map(|word| format!("{word:08x}")).collect()
}

/// Python's `json.dumps(value, sort_keys=True)`: `", "` and `": "` separators, non-ASCII escaped.
fn python_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => {
            out.push('"');
            for unit in text.encode_utf16() {
                match unit {
                    0x22 => out.push_str("\\\""),
                    0x5c => out.push_str("\\\\"),
                    0x0a => out.push_str("\\n"),
                    0x0d => out.push_str("\\r"),
                    0x09 => out.push_str("\\t"),
                    0x08 => out.push_str("\\b"),
                    0x0c => out.push_str("\\f"),
                    0x20..=0x7e => out.push(char::from(unit as u8)),
                    _ => out.push_str(&format!("\\u{unit:04x}")),
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_json(item, out);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_json(&Value::String(key.clone()), out);
                out.push_str(": ");
                python_json(&entries[key], out);
            }
            out.push('}');
        }
    }
}

/// The 1-based line of the first line holding `needle`, or 1.
pub fn line_of(contents: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 1;
    }
    contents
        .lines()
        .position(|line| line.contains(needle))
        .map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(text: &str) -> Vec<Spec> {
        let file = SourceFile {
            path: "packages.yml".into(),
            contents: Arc::from(text),
        };
        let document = yaml::parse(&file.path, &file.contents).unwrap();
        parse(&file, &document, &Map::new()).unwrap()
    }

    #[test]
    fn sha1_of_known_texts() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(&[b'a'; 1000]),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }

    #[test]
    fn hash_matches_dbt_for_a_local_package() {
        // The lock dbt-core 1.11 wrote for `packages: [{local: ../}]`.
        let specs = specs("packages:\n  - local: ../\n");
        assert_eq!(
            sha1_hash(&specs),
            "de2deba3d66ce03d8c02949013650cc9b94f6030"
        );
    }

    #[test]
    fn hash_matches_dbt_for_every_kind() {
        // dbt-core 1.11's `_create_sha1_hash` of the same list.
        let specs = specs(
            "packages:\n  - package: dbt-labs/dbt_utils\n    version: [\">=1.0.0\", \"<2.0.0\"]\n  - git: https://x/y.git\n    revision: '1.0'\n    subdirectory: a\n    warn-unpinned: false\n  - tarball: https://t\n    name: p\n  - package: a/b\n    version: '1.0.0'\n    install_prerelease: true\n    name: bé\n",
        );
        assert_eq!(
            sha1_hash(&specs),
            "6d28023de50415bfdf1dddb2903279052317c574"
        );
    }

    #[test]
    fn entries_become_sources() {
        let specs = specs(
            "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.1.1\n  - git: https://example.com/r.git\n    revision: v1\n    subdirectory: pkg\n  - tarball: files/p.tar.gz\n    name: p\n  - local: ../shared\n",
        );
        let sources: Vec<&Source> = specs.iter().map(|s| &s.source).collect();
        assert_eq!(
            sources[0],
            &Source::Hub {
                package: "dbt-labs/dbt_utils".into(),
                versions: vec!["1.1.1".into()],
                install_prerelease: false
            }
        );
        assert_eq!(sources[1].label(), "https://example.com/r.git/pkg");
        assert_eq!(sources[2].kind(), "tarball");
        assert_eq!(specs[3].line, 9);
    }

    #[test]
    fn bad_entries_name_the_line_and_the_fix() {
        let file = SourceFile {
            path: "packages.yml".into(),
            contents: Arc::from(
                "packages:\n  - package: dbt-labs/dbt_utils\n    versoin: 1.0.0\n  - package: x/y\n",
            ),
        };
        let document = yaml::parse(&file.path, &file.contents).unwrap();
        let problems = parse(&file, &document, &Map::new()).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            problems[0].message,
            "unknown key `versoin` in a `package` package"
        );
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `version`?"));
        assert_eq!(problems[1].message, "hub package `x/y` has no `version`");
        assert_eq!(problems[1].location.as_ref().unwrap().line, Some(4));
    }
}
