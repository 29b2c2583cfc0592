//! `profiles.yml`: finds it, renders its Jinja (`env_var`), and resolves the one target a
//! command uses. Passwords only ever live in [`PostgresTarget::password`], which `Debug` masks.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::adapter::AdapterKind;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::yaml;
use std::fmt;
use std::path::PathBuf;

/// The resolved connection target of a command.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name of the target inside the profile (`dev`, `pg`...): `target.name` in Jinja.
    pub name: String,
    pub profile_name: String,
    /// Default schema of the target: models without `+schema` go here.
    pub schema: String,
    pub threads: usize,
    pub kind: TargetKind,
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    DuckDb(DuckDbTarget),
    Postgres(PostgresTarget),
}

#[derive(Debug, Clone)]
pub struct DuckDbTarget {
    /// Database file; relative paths are relative to the project root. `:memory:` is allowed.
    pub path: PathBuf,
    /// Extensions to `LOAD` on every connection (they must be available offline).
    pub extensions: Vec<String>,
    /// `SET key = value` on every connection.
    pub settings: BTreeMap<String, String>,
}

#[derive(Clone)]
pub struct PostgresTarget {
    /// A name, an address, or a directory holding the server's Unix socket (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub dbname: String,
    pub sslmode: SslMode,
    /// Certificates that may sign the server's certificate: a PEM file, or [`RootCert::System`].
    pub sslrootcert: Option<RootCert>,
    /// The client's certificate and key (PEM), for servers that authenticate by certificate.
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    /// Schemas unqualified names resolve in, as Postgres' `search_path` setting spells them.
    pub search_path: Option<String>,
    /// `set role` right after connecting, as dbt-postgres does.
    pub role: Option<String>,
    /// Seconds of silence after which the connection is probed; `None` keeps the default.
    pub keepalives_idle: Option<u64>,
    /// Seconds to wait for a connection.
    pub connect_timeout: u64,
    /// How often a failed first connection is tried again while the server refuses or starts.
    pub retries: u32,
    pub application_name: String,
}

/// libpq's `sslmode`, the order of its attempts and what it verifies; see the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const NAMES: [&str; 6] = [
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];

    pub fn parse(name: &str) -> Option<SslMode> {
        Some(match name {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// `sslrootcert`: a file, or `system`, libpq's word for the well-known public authorities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    File(PathBuf),
    System,
}

impl fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"****")
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .field("search_path", &self.search_path)
            .field("role", &self.role)
            .field("keepalives_idle", &self.keepalives_idle)
            .field("connect_timeout", &self.connect_timeout)
            .field("retries", &self.retries)
            .field("application_name", &self.application_name)
            .finish()
    }
}

/// Where a profiles file was found and what it holds, before a target is chosen.
pub struct ProfilesFile {
    pub path: PathBuf,
    pub display: String,
    pub source: std::sync::Arc<str>,
}

/// Looks for `profiles.yml`: `--profiles-dir`, `UXT_PROFILES_DIR`, the project root, `project/`,
/// then `~/.uxt/` and `~/.dbt/`.
pub fn find(
    explicit: Option<&std::path::Path>,
    root: &std::path::Path,
) -> Result<ProfilesFile, Diagnostic> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = explicit {
        candidates.push(dir.to_path_buf());
    } else {
        if let Some(dir) = std::env::var_os("UXT_PROFILES_DIR") {
            candidates.push(PathBuf::from(dir));
        }
        candidates.push(root.to_path_buf());
        candidates.push(root.join("project"));
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            candidates.push(home.join(".uxt"));
            candidates.push(home.join(".dbt"));
        }
    }
    for dir in &candidates {
        let path = dir.join("profiles.yml");
        let display = path
            .strip_prefix(root)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
        // Only a file that is not there moves the search on: one that exists but cannot be
        // read must never send the run to another profile's warehouse.
        if !path.exists() {
            continue;
        }
        let text = crate::project::read_text(&path, &display).map_err(|diagnostic| {
            let code = match diagnostic.code {
                Code::ProjectEncoding => Code::ProfileEncoding,
                _ => Code::ProfileUnreadable,
            };
            Diagnostic { code, ..diagnostic }
        })?;
        return Ok(ProfilesFile {
            path,
            display,
            source: std::sync::Arc::from(text),
        });
    }
    let searched: Vec<String> = candidates
        .iter()
        .map(|dir| format!("`{}`", dir.display()))
        .collect();
    Err(Diagnostic::new(
        Code::ProfileNotFound,
        format!(
            "no `profiles.yml` found (looked in {})",
            searched.join(", ")
        ),
    )
    .with_help("create one in the project root or `~/.uxt/`, or pass `--profiles-dir`"))
}

/// Chooses the profile and target, renders Jinja in their values with `render`, and checks the
/// keys of the adapter type.
pub fn resolve(
    file: &ProfilesFile,
    profile_name: &str,
    target_name: Option<&str>,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Target, Diagnostic> {
    let located = yaml::parse_located(&file.display, &file.source)?;
    let document = located.to_json();
    let Some(profile) = document.get(profile_name).and_then(Value::as_object) else {
        let names: Vec<&str> = document
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            Code::ProfileMissing,
            format!("profile `{profile_name}` is not in `{}`", file.display),
        )
        .in_file(file.display.clone());
        if let Some(near) = closest(profile_name, names.iter().copied()) {
            diagnostic = diagnostic.with_help(format!(
                "did you mean `{near}`? The project file's `profile:` names the profile to use"
            ));
        } else {
            diagnostic = diagnostic.with_help(
                "add the profile, or set `profile:` in the project file to one that exists",
            );
        }
        return Err(diagnostic);
    };
    let outputs = profile
        .get("outputs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let default_target = profile
        .get("target")
        .and_then(Value::as_str)
        .map(|t| render(t).unwrap_or_else(|_| t.to_string()));
    let name = target_name
        .map(str::to_string)
        .or(default_target)
        .or_else(|| outputs.keys().next().cloned())
        .unwrap_or_default();
    let profile_node = located.get(profile_name);
    let Some(output) = outputs.get(&name).and_then(Value::as_object) else {
        let mut diagnostic = Diagnostic::new(
            Code::ProfileUnknownTarget,
            format!("target `{name}` is not an output of profile `{profile_name}`"),
        )
        .at_line(
            &file.display,
            file.source.clone(),
            key_line(&located, profile_name),
        );
        if let Some(near) = closest(&name, outputs.keys().map(String::as_str)) {
            diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
        } else {
            let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
            diagnostic =
                diagnostic.with_help(format!("the profile's outputs are: {}", names.join(", ")));
        }
        return Err(diagnostic);
    };
    // Lines of the chosen target's keys, so that a problem points into this target, not at
    // the first target that has a key of that name.
    let target_node = profile_node
        .and_then(|node| node.get("outputs"))
        .and_then(|outputs| outputs.get(&name));
    let target_line = profile_node
        .and_then(|node| node.get("outputs"))
        .map_or(1, |outputs| key_line(outputs, &name));
    let at = |key: &str| {
        target_node
            .map(|node| key_line(node, key.trim_end_matches(':')))
            .filter(|&line| line > 1)
            .unwrap_or(target_line)
    };
    let mut values = BTreeMap::new();
    for (key, value) in output {
        if let Some(expected) = shape_problem(key, value) {
            // dbt validates the credentials the same way ("['a'] is not of type 'string'");
            // written out as text, the value would name a schema nobody meant.
            return Err(Diagnostic::new(
                Code::ProfileInvalid,
                format!("`{key}` of target `{name}` must be {expected}"),
            )
            .at_line(&file.display, file.source.clone(), at(key))
            .with_help(format!("write `{key}:` as {expected}")));
        }
        let rendered = match value {
            Value::String(text) if text.contains("{{") || text.contains("{%") => render(text)
                .map_err(|message| {
                    Diagnostic::new(
                        Code::ProfileRender,
                        format!("cannot render `{key}` of target `{name}`: {message}"),
                    )
                    .at_line(&file.display, file.source.clone(), at(key))
                    .with_help(if message.contains("is not set") {
                        "set the environment variable, or give `env_var()` a default"
                    } else {
                        "fix the Jinja of this value: `{{ env_var('NAME', 'default') }}`"
                    })
                })?,
            Value::String(text) => text.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        values.insert(key.clone(), rendered);
    }
    let missing = |key: &str| {
        Diagnostic::new(
            Code::ProfileMissingKey,
            format!("target `{name}` of profile `{profile_name}` has no `{key}`"),
        )
        .at_line(&file.display, file.source.clone(), target_line)
        .with_help(format!("add `{key}:` to the target"))
    };
    let number = |key: &str, default: u64| -> Result<u64, Diagnostic> {
        match values.get(key) {
            None => Ok(default),
            Some(text) => text.trim().parse().map_err(|_| {
                Diagnostic::new(
                    Code::ProfileInvalid,
                    format!("`{key}` of target `{name}` must be a whole number, not `{text}`"),
                )
                .at_line(&file.display, file.source.clone(), at(key))
            }),
        }
    };
    let threads = number("threads", 1)?.max(1) as usize;
    let kind_name = values.get("type").cloned().ok_or_else(|| missing("type"))?;
    check_keys(&kind_name, output, file, &at)?;
    let (kind, default_schema) = match kind_name.as_str() {
        "duckdb" => {
            let settings = output
                .get("settings")
                .and_then(Value::as_object)
                .map(|s| {
                    s.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                crate::project::yaml::scalar_string(v).unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let extensions =
                crate::project::yaml::string_list(output.get("extensions").unwrap_or(&Value::Null));
            let path = values
                .get("path")
                .cloned()
                .unwrap_or_else(|| "target/uxt.duckdb".to_string());
            (
                TargetKind::DuckDb(DuckDbTarget {
                    path: PathBuf::from(path),
                    extensions,
                    settings,
                }),
                "main",
            )
        }
        "postgres" => {
            let get = |key: &str| values.get(key).cloned().ok_or_else(|| missing(key));
            let text = |key: &str| values.get(key).filter(|v| !v.is_empty()).cloned();
            let port = number("port", 5432)?;
            // What the profile leaves out, libpq takes from its environment variables, and so
            // does dbt-postgres, which hands libpq only the keys the profile sets.
            let tls = |key: &str, variable: &str| {
                text(key).or_else(|| std::env::var(variable).ok().filter(|v| !v.is_empty()))
            };
            let sslrootcert = tls("sslrootcert", "PGSSLROOTCERT");
            let system_roots = sslrootcert.as_deref() == Some("system");
            let sslmode = match tls("sslmode", "PGSSLMODE") {
                // libpq's default, which `sslrootcert: system` raises to `verify-full`.
                None if system_roots => SslMode::VerifyFull,
                None => SslMode::Prefer,
                Some(mode) => SslMode::parse(&mode).ok_or_else(|| {
                    Diagnostic::new(
                        Code::ProfileInvalid,
                        format!(
                            "`sslmode` of target `{name}` is `{mode}`, which libpq does not know"
                        ),
                    )
                    .at_line(&file.display, file.source.clone(), at("sslmode"))
                    .with_help(format!("use one of {}", SslMode::NAMES.join(", ")))
                })?,
            };
            if system_roots && sslmode != SslMode::VerifyFull {
                // As libpq: trusting every public authority means nothing without the name check.
                return Err(Diagnostic::new(
                    Code::ProfileInvalid,
                    format!(
                        "`sslrootcert: system` of target `{name}` needs `sslmode: verify-full`, not `{}`",
                        sslmode.name()
                    ),
                )
                .at_line(&file.display, file.source.clone(), at("sslmode"))
                .with_help("set `sslmode: verify-full`, or give `sslrootcert` a certificate file"));
            }
            (
                TargetKind::Postgres(PostgresTarget {
                    host: get("host")?,
                    port: u16::try_from(port).map_err(|_| missing("port"))?,
                    user: get("user")?,
                    password: values
                        .get("password")
                        .or_else(|| values.get("pass"))
                        .cloned()
                        .unwrap_or_default(),
                    dbname: values
                        .get("dbname")
                        .or_else(|| values.get("database"))
                        .cloned()
                        .ok_or_else(|| missing("dbname"))?,
                    sslmode,
                    sslrootcert: sslrootcert.map(|path| match path.as_str() {
                        "system" => RootCert::System,
                        _ => RootCert::File(PathBuf::from(path)),
                    }),
                    sslcert: tls("sslcert", "PGSSLCERT").map(PathBuf::from),
                    sslkey: tls("sslkey", "PGSSLKEY").map(PathBuf::from),
                    search_path: text("search_path"),
                    role: text("role"),
                    // dbt-postgres' default 0 means "the system's setting".
                    keepalives_idle: Some(number("keepalives_idle", 0)?).filter(|&s| s > 0),
                    connect_timeout: number("connect_timeout", 10)?,
                    retries: u32::try_from(number("retries", 1)?).unwrap_or(u32::MAX),
                    application_name: text("application_name").unwrap_or_else(|| "uxt".to_string()),
                }),
                "public",
            )
        }
        other => {
            return Err(Diagnostic::new(
                Code::ProfileUnknownType,
                format!("target `{name}` has `type: {other}`, which uxt has no adapter for"),
            )
            .at_line(&file.display, file.source.clone(), at("type"))
            .with_help("use `type: duckdb` or `type: postgres`"));
        }
    };
    Ok(Target {
        schema: values
            .get("schema")
            .cloned()
            .unwrap_or_else(|| default_schema.to_string()),
        profile_name: profile_name.to_string(),
        threads,
        kind,
        name,
    })
}

/// What a target's value should have been, when its YAML kind is wrong: the keys uxt reads as
/// text or numbers must be scalars, DuckDB's `settings` a mapping, `extensions` a list.
fn shape_problem(key: &str, value: &Value) -> Option<&'static str> {
    const SCALARS: &[&str] = &[
        "type",
        "threads",
        "schema",
        "database",
        "dbname",
        "path",
        "host",
        "port",
        "user",
        "password",
        "pass",
        "sslmode",
        "search_path",
        "role",
        "connect_timeout",
        "retries",
    ];
    let fits = match key {
        "settings" => value.is_object() || value.is_null(),
        "extensions" => value.is_array() || value.is_string() || value.is_null(),
        key if SCALARS.contains(&key) => !value.is_array() && !value.is_object(),
        _ => true,
    };
    (!fits).then_some(match key {
        "settings" => "a mapping of DuckDB settings to values",
        "extensions" => "a list of extension names",
        _ => "a single value, not a list or a mapping",
    })
}

/// The keys of a target that uxt reads, per adapter type, after dbt's own (`type`, `threads`,
/// `schema`, `database`).
const DUCKDB_KEYS: &[&str] = &["path", "extensions", "settings"];
const POSTGRES_KEYS: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "pass",
    "dbname",
    "database",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "search_path",
    "role",
    "keepalives_idle",
    "connect_timeout",
    "retries",
    "application_name",
];
/// Keys dbt-duckdb and dbt-postgres accept that uxt does not act on: a warning says so.
const DUCKDB_IGNORED: &[&str] = &[
    "database",
    "config_options",
    "secrets",
    "external_root",
    "use_credential_provider",
    "attach",
    "filesystems",
    "remote",
    "plugins",
    "disable_transactions",
    "keep_open",
    "module_paths",
    "retries",
    "flights",
    "is_ducklake",
    "motherduck_token",
];
const POSTGRES_IGNORED: &[&str] = &["autocommit"];

/// Refuses a key no adapter knows (a misspelt `path:` would send the run to the default
/// database) and warns of keys the adapter's dbt plugin knows but uxt ignores.
fn check_keys(
    kind: &str,
    output: &serde_json::Map<String, Value>,
    file: &ProfilesFile,
    line_of: &dyn Fn(&str) -> usize,
) -> Result<(), Diagnostic> {
    let (used, ignored) = match kind {
        "duckdb" => (DUCKDB_KEYS, DUCKDB_IGNORED),
        "postgres" => (POSTGRES_KEYS, POSTGRES_IGNORED),
        _ => return Ok(()),
    };
    let common = ["type", "threads", "schema"];
    for key in output.keys() {
        let key = key.as_str();
        if common.contains(&key) || used.contains(&key) {
            continue;
        }
        let line = line_of(key);
        // dbt-duckdb's `database` is the file's stem, which uxt uses already.
        let stem = output
            .get("path")
            .and_then(Value::as_str)
            .and_then(|path| std::path::Path::new(path).file_stem())
            .map(|stem| stem.to_string_lossy().into_owned());
        if kind == "duckdb"
            && key == "database"
            && output.get(key).and_then(Value::as_str) == stem.as_deref()
        {
            continue;
        }
        if ignored.contains(&key) {
            crate::ui::diagnostics(&[Diagnostic::new(
                Code::ProfileIgnoredKey,
                format!("`{key}` of a {kind} target is not supported by uxt and is ignored"),
            )
            .at_line(&file.display, file.source.clone(), line)
            .with_help(format!("remove `{key}`, or keep it for dbt"))]);
            continue;
        }
        let known = common.iter().chain(used).chain(ignored).copied();
        let help = match closest(key, known) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "a {kind} target takes {}",
                common
                    .iter()
                    .chain(used)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(Diagnostic::new(
            Code::ProfileUnknownKey,
            format!("unknown key `{key}` in a {kind} target"),
        )
        .at_line(&file.display, file.source.clone(), line)
        .with_help(help));
    }
    Ok(())
}

/// The line of `key` in a mapping, else the mapping's own line.
fn key_line(node: &yaml::Located, key: &str) -> usize {
    node.entries()
        .iter()
        .find(|(k, _)| k.name == key)
        .map_or(node.line.max(1), |(k, _)| k.line.max(1))
}

impl Target {
    /// The database its relations are qualified with: the Postgres database, or the catalog
    /// DuckDB names after the file.
    pub fn database(&self) -> String {
        match &self.kind {
            TargetKind::Postgres(pg) => pg.dbname.clone(),
            TargetKind::DuckDb(duck) => {
                let text = duck.path.to_string_lossy();
                if text == ":memory:" || text.is_empty() {
                    "memory".to_string()
                } else {
                    duck.path
                        .file_stem()
                        .map_or_else(|| "memory".to_string(), |s| s.to_string_lossy().to_string())
                }
            }
        }
    }

    pub fn adapter_kind(&self) -> AdapterKind {
        match self.kind {
            TargetKind::DuckDb(_) => AdapterKind::DuckDb,
            TargetKind::Postgres(_) => AdapterKind::Postgres,
        }
    }

    /// The connection keys `target` shows in Jinja, as dbt-postgres and dbt-duckdb list them
    /// (`target.host`, `target.port`, `target.path`...). Never the password.
    pub fn connection_keys(&self) -> serde_json::Map<String, Value> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().to_string());
        let keys = match &self.kind {
            TargetKind::Postgres(pg) => serde_json::json!({
                "host": pg.host,
                "port": pg.port,
                "user": pg.user,
                "connect_timeout": pg.connect_timeout,
                "role": pg.role,
                "search_path": pg.search_path,
                "keepalives_idle": pg.keepalives_idle,
                "sslmode": pg.sslmode.name(),
                "sslcert": path(&pg.sslcert),
                "sslkey": path(&pg.sslkey),
                "sslrootcert": pg.sslrootcert.as_ref().map(|cert| match cert {
                    RootCert::File(file) => file.to_string_lossy().to_string(),
                    RootCert::System => "system".to_string(),
                }),
                "application_name": pg.application_name,
                "retries": pg.retries,
            }),
            TargetKind::DuckDb(duck) => serde_json::json!({
                "path": duck.path.to_string_lossy(),
                "extensions": duck.extensions,
                "settings": duck.settings,
            }),
        };
        match keys {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// Renders Jinja in a profile value: `env_var()` and `var()` only, as dbt allows there.
pub fn render_value(text: &str, vars: &serde_json::Map<String, Value>) -> Result<String, String> {
    render_with_target(text, vars, None)
}

/// Renders Jinja with `env_var()`, `var()` and, where dbt gives it (`selectors.yml`), `target`.
pub fn render_with_target(
    text: &str,
    vars: &serde_json::Map<String, Value>,
    target: Option<&Value>,
) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    if let Some(target) = target {
        env.add_global(
            "target",
            minijinja::Value::from(minijinja::value::Serde(target.clone())),
        );
    }
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
                .map(|value| minijinja::Value::from(minijinja::value::Serde(value)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres(keys: &str) -> Result<PostgresTarget, Diagnostic> {
        let source = format!(
            "p:\n  outputs:\n    dev:\n      type: postgres\n      host: db\n      user: u\n      \
             dbname: d\n{keys}"
        );
        let file = ProfilesFile {
            path: PathBuf::from("profiles.yml"),
            display: "profiles.yml".to_string(),
            source: std::sync::Arc::from(source),
        };
        let target = resolve(&file, "p", None, &|text| Ok(text.to_string()))?;
        match target.kind {
            TargetKind::Postgres(postgres) => Ok(postgres),
            TargetKind::DuckDb(_) => panic!("a postgres target"),
        }
    }

    #[test]
    fn postgres_keys_take_dbt_postgres_defaults() {
        let target = postgres("").expect("a valid target");
        assert_eq!(target.sslmode, SslMode::Prefer);
        assert_eq!(target.connect_timeout, 10);
        assert_eq!(target.retries, 1);
        assert_eq!(target.keepalives_idle, None);
        assert_eq!(target.application_name, "uxt");
        let target = postgres("      keepalives_idle: 0\n      role: r\n").expect("valid");
        assert_eq!(target.keepalives_idle, None);
        assert_eq!(target.role.as_deref(), Some("r"));
    }

    #[test]
    fn system_roots_mean_verify_full_as_in_libpq() {
        let target = postgres("      sslrootcert: system\n").expect("a valid target");
        assert_eq!(target.sslmode, SslMode::VerifyFull);
        assert_eq!(target.sslrootcert, Some(RootCert::System));
        let error = postgres("      sslrootcert: system\n      sslmode: require\n")
            .expect_err("require is too weak for system roots");
        assert!(
            error
                .to_string()
                .contains("`sslrootcert: system` of target `dev` needs `sslmode: verify-full`"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_sslmode_points_at_its_line() {
        let error = postgres("      sslmode: sometimes\n").expect_err("not a libpq mode");
        assert_eq!(
            error.to_string(),
            "uxt::profile::invalid: `sslmode` of target `dev` is `sometimes`, which libpq does not know (profiles.yml:8)"
        );
    }
}
