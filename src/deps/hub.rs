//! The dbt package hub's JSON API (`api/v1/<org>/<name>.json`: every version with its
//! dependencies, tarball URL and `require_dbt_version`), and downloads of archives by URL or
//! file path. The hub's address is `DBT_PACKAGE_HUB_URL` when set, as in dbt.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

const DEFAULT_HUB: &str = "https://hub.getdbt.com/";
/// Archives larger than this are refused: packages are SQL and YAML.
const MAX_DOWNLOAD: u64 = 200 * 1024 * 1024;

/// One version of a hub package.
#[derive(Debug, Clone)]
pub struct HubVersion {
    /// The project name it installs as (`dbt_utils`).
    pub name: String,
    /// Its own `packages:` entries.
    pub packages: Vec<Value>,
    pub tarball: String,
    pub require_dbt_version: Vec<String>,
}

/// Everything the hub knows of a package.
#[derive(Debug, Clone)]
pub struct HubPackage {
    pub versions: BTreeMap<String, HubVersion>,
    /// Where the package moved to, when the hub says it did (`org/name`).
    pub moved_to: Option<String>,
}

/// Why the hub could not answer.
#[derive(Debug, Clone)]
pub enum HubError {
    /// No connection: DNS, refused, timed out.
    Unreachable(String),
    NotFound,
    /// An answer that is not the hub's JSON.
    Invalid(String),
}

/// A hub client that asks for each package once per command.
pub struct Hub {
    base: String,
    agent: ureq::Agent,
    cache: HashMap<String, Result<HubPackage, HubError>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let mut base = std::env::var("DBT_PACKAGE_HUB_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_HUB.to_string());
        if !base.ends_with('/') {
            base.push('/');
        }
        Hub {
            base,
            agent: agent(),
            cache: HashMap::new(),
        }
    }

    /// The hub's address, for messages.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn package(&mut self, name: &str) -> Result<&HubPackage, HubError> {
        if !self.cache.contains_key(name) {
            let url = format!("{}api/v1/{name}.json", self.base);
            let answer = get(&self.agent, &url).and_then(|bytes| parse_package(&bytes));
            self.cache.insert(name.to_string(), answer);
        }
        self.cache
            .get(name)
            .expect("inserted above")
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .timeout_connect(Some(Duration::from_secs(15)))
        .build()
        .into()
}

/// GETs a URL; connection failures are retried twice, as the hub and GitHub sometimes drop one.
fn get(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, HubError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = agent.get(url).call().and_then(|mut response| {
            response
                .body_mut()
                .with_config()
                .limit(MAX_DOWNLOAD)
                .read_to_vec()
        });
        match result {
            Ok(bytes) => return Ok(bytes),
            Err(ureq::Error::StatusCode(404)) => return Err(HubError::NotFound),
            Err(ureq::Error::StatusCode(code)) if code < 500 => {
                return Err(HubError::Invalid(format!("`{url}` answered HTTP {code}")));
            }
            Err(error @ (ureq::Error::HostNotFound | ureq::Error::BadUri(_))) => {
                return Err(HubError::Unreachable(error.to_string()));
            }
            Err(error) if attempt >= 3 => return Err(HubError::Unreachable(error.to_string())),
            Err(_) => std::thread::sleep(Duration::from_millis(500 * attempt)),
        }
    }
}

fn parse_package(bytes: &[u8]) -> Result<HubPackage, HubError> {
    let invalid = |what: &str| HubError::Invalid(format!("the hub's answer {what}"));
    let document: Value = serde_json::from_slice(bytes).map_err(|_| invalid("is not JSON"))?;
    let versions = document
        .get("versions")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("has no `versions`"))?;
    let mut parsed = BTreeMap::new();
    for (version, info) in versions {
        let text = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_string);
        let name = text("name").ok_or_else(|| invalid("has a version without `name`"))?;
        let tarball = info
            .pointer("/downloads/tarball")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("has a version without `downloads.tarball`"))?
            .to_string();
        let packages = match info.get("packages") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let require_dbt_version = match info.get("require_dbt_version") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        parsed.insert(
            version.clone(),
            HubVersion {
                name,
                packages,
                tarball,
                require_dbt_version,
            },
        );
    }
    let field = |key: &str| document.get(key).and_then(Value::as_str);
    let moved_to = match (field("redirectnamespace"), field("redirectname")) {
        (None, None) => None,
        (namespace, name) => Some(format!(
            "{}/{}",
            namespace.or(field("namespace")).unwrap_or_default(),
            name.or(field("name")).unwrap_or_default()
        )),
    };
    Ok(HubPackage {
        versions: parsed,
        moved_to,
    })
}

/// The bytes of an archive: an `http(s)://` URL, a `file://` URL, or a file path (relative to
/// `root`), so that a package can be vendored as a file.
pub fn download(location: &str, root: &Path) -> Result<Vec<u8>, HubError> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return get(&agent(), location);
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    let path = root.join(path);
    std::fs::read(&path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => HubError::NotFound,
        _ => HubError::Invalid(format!("cannot read `{}`: {error}", path.display())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_hubs_package_json() {
        let json = br#"{"name": "dbt_utils", "namespace": "dbt-labs", "latest": "1.1.1",
            "versions": {"1.1.1": {"name": "dbt_utils", "packages": [],
              "downloads": {"tarball": "https://codeload.github.com/dbt-labs/dbt-utils/tar.gz/1.1.1"},
              "require_dbt_version": [">=1.3.0", "<2.0.0"]},
             "0.9.0": {"name": "dbt_utils", "packages": [{"package": "x/y", "version": "1.0.0"}],
              "downloads": {"tarball": "t"}, "require_dbt_version": ">=1.0.0"}}}"#;
        let package = parse_package(json).unwrap();
        assert_eq!(package.versions["1.1.1"].require_dbt_version.len(), 2);
        assert_eq!(package.versions["0.9.0"].packages.len(), 1);
        assert!(package.moved_to.is_none());
        let moved = parse_package(
            br#"{"name": "a", "namespace": "old", "redirectnamespace": "new", "versions": {}}"#,
        )
        .unwrap();
        assert_eq!(moved.moved_to.as_deref(), Some("new/a"));
    }
}
