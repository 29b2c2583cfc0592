//! Brings a pinned package's files onto the machine and reads what it is: a `local:` folder as
//! it is, a git repository through the `git` command, an archive unpacked with flate2 and tar,
//! a hub version's archive. Everything fetched lands in one downloads folder per command.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::hub::{Hub, HubError};
use super::spec::{self, Spec};

/// A package pinned to one version: what `package-lock.yml` records.
#[derive(Debug, Clone, PartialEq)]
pub enum Pinned {
    Local {
        path: String,
    },
    Git {
        url: String,
        /// The URL as written, kept in the lock so that secrets rendered into it stay out.
        url_unrendered: String,
        revision: String,
        subdirectory: Option<String>,
        warn_unpinned: bool,
    },
    Tarball {
        url: String,
        url_unrendered: String,
        name: String,
    },
    Hub {
        package: String,
        version: String,
    },
}

impl Pinned {
    /// How the package is named in messages.
    pub fn label(&self) -> String {
        match self {
            Pinned::Local { path } => path.clone(),
            Pinned::Git {
                url,
                subdirectory: Some(sub),
                ..
            } => format!("{url}/{sub}"),
            Pinned::Git { url, .. } => url.clone(),
            Pinned::Tarball { url, .. } => url.clone(),
            Pinned::Hub { package, .. } => package.clone(),
        }
    }

    /// dbt's "Installed from ..." wording.
    pub fn version_name(&self) -> String {
        match self {
            Pinned::Local { path } => format!("<local @ {path}>"),
            Pinned::Git { revision, .. } if revision == "HEAD" => {
                "HEAD (default revision)".to_string()
            }
            Pinned::Git { revision, .. } => format!("revision {revision}"),
            Pinned::Tarball { url, .. } => format!("tarball (url: {url})"),
            Pinned::Hub { version, .. } => format!("version {version}"),
        }
    }
}

/// What a package is, once fetched.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The project name it installs as.
    pub name: String,
    /// Its own dependencies.
    pub packages: Vec<Spec>,
    /// The commit a git revision resolved to.
    pub commit: Option<String>,
}

/// Why a package could not be fetched: a message and what to do.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub help: String,
    /// The package could not be reached (no network): vendoring it is the way out.
    pub unreachable: bool,
}

impl Failure {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            help: help.into(),
            unreachable: false,
        }
    }
}

/// Fetches packages for one `deps` run.
pub struct Fetcher<'a> {
    root: &'a Path,
    downloads: PathBuf,
    vars: &'a Map<String, Value>,
    pub hub: Hub,
    folders: HashMap<String, PathBuf>,
    /// The commit each git package's revision resolved to.
    commits: HashMap<String, String>,
    metadata: HashMap<String, Fetched>,
    counter: usize,
}

impl<'a> Fetcher<'a> {
    pub fn new(root: &'a Path, downloads: PathBuf, vars: &'a Map<String, Value>) -> Fetcher<'a> {
        Fetcher {
            root,
            downloads,
            vars,
            hub: Hub::new(),
            folders: HashMap::new(),
            commits: HashMap::new(),
            metadata: HashMap::new(),
            counter: 0,
        }
    }

    fn fresh_dir(&mut self, prefix: &str) -> PathBuf {
        self.counter += 1;
        self.downloads.join(format!("{prefix}-{}", self.counter))
    }

    /// A local package's folder, relative to the root project as in dbt.
    pub fn local_path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// Name and dependencies of a pinned package (fetching it when that is the only way).
    pub fn metadata(&mut self, pinned: &Pinned) -> Result<Fetched, Failure> {
        let key = format!("{pinned:?}");
        if let Some(found) = self.metadata.get(&key) {
            return Ok(found.clone());
        }
        let fetched = match pinned {
            Pinned::Hub { package, version } => {
                let info = self.hub_version(package, version)?;
                let packages = spec::parse_list(
                    &format!("the hub's `{package}` {version}"),
                    &info.packages,
                    self.vars,
                )
                .map_err(|problems| {
                    Failure::new(
                        format!(
                            "the hub lists dependencies of `{package}` {version} that uxt cannot read: {}",
                            problems.first().map(|d| d.message.clone()).unwrap_or_default()
                        ),
                        "pin another version, or vendor the package with `local:`",
                    )
                })?;
                Fetched {
                    name: info.name,
                    packages,
                    commit: None,
                }
            }
            Pinned::Tarball { name, .. } => {
                let folder = self.folder(pinned)?;
                let mut fetched = self.read_project(&folder, &pinned.label())?;
                fetched.name = name.clone();
                fetched
            }
            Pinned::Local { .. } | Pinned::Git { .. } => {
                let folder = self.folder(pinned)?;
                let mut fetched = self.read_project(&folder, &pinned.label())?;
                fetched.commit = self.commits.get(&key).cloned();
                fetched
            }
        };
        self.metadata.insert(key, fetched.clone());
        Ok(fetched)
    }

    fn hub_version(
        &mut self,
        package: &str,
        version: &str,
    ) -> Result<super::hub::HubVersion, Failure> {
        let base = self.hub.base().to_string();
        let found = self
            .hub
            .package(package)
            .map_err(|error| hub_failure(package, &base, error))?;
        found.versions.get(version).cloned().ok_or_else(|| {
            Failure::new(
                format!("the hub has no version {version} of `{package}`"),
                "pick a version the hub lists, or run `uxt deps --upgrade` to resolve again",
            )
        })
    }

    /// The folder holding the package's files: the local folder, a checkout, an unpacked archive.
    pub fn folder(&mut self, pinned: &Pinned) -> Result<PathBuf, Failure> {
        let key = format!("{pinned:?}");
        if let Some(folder) = self.folders.get(&key) {
            return Ok(folder.clone());
        }
        let folder = match pinned {
            Pinned::Local { path } => {
                let folder = self.local_path(path);
                if !folder.join("dbt_project.yml").is_file() {
                    return Err(Failure::new(
                        format!(
                            "local package `{path}` has no `dbt_project.yml` (looked in `{}`)",
                            folder.display()
                        ),
                        "`local:` paths are relative to the root project; point it at the package's folder",
                    ));
                }
                folder
            }
            Pinned::Git {
                url,
                revision,
                subdirectory,
                ..
            } => {
                let checkout = self.fresh_dir("git");
                let commit = clone(url, revision, &checkout)?;
                self.commits.insert(key.clone(), commit);
                match subdirectory {
                    Some(sub) => {
                        let folder = checkout.join(sub);
                        if !folder.is_dir() {
                            return Err(Failure::new(
                                format!("`{url}` has no subdirectory `{sub}` at `{revision}`"),
                                "check `subdirectory:` against the repository",
                            ));
                        }
                        folder
                    }
                    None => checkout,
                }
            }
            Pinned::Tarball { url, .. } => {
                let bytes = super::hub::download(url, self.root).map_err(|error| match error {
                    HubError::NotFound => Failure::new(
                        format!("tarball `{url}` does not exist"),
                        "point `tarball:` at a `.tar.gz` URL or file (relative to the project)",
                    ),
                    HubError::Unreachable(reason) => Failure {
                        message: format!("cannot download tarball `{url}`: {reason}"),
                        help: vendor_help(&pinned.label()),
                        unreachable: true,
                    },
                    HubError::Invalid(reason) => Failure::new(
                        format!("cannot download tarball `{url}`: {reason}"),
                        "check the URL or file",
                    ),
                })?;
                let target = self.fresh_dir("tarball");
                unpack(&bytes, &target).map_err(|reason| {
                    Failure::new(
                        format!("cannot unpack tarball `{url}`: {reason}"),
                        "a package tarball is a `.tar.gz` holding one folder with `dbt_project.yml`",
                    )
                })?
            }
            Pinned::Hub { package, version } => {
                let info = self.hub_version(package, version)?;
                let bytes = super::hub::download(&info.tarball, self.root).map_err(|error| {
                    let reason = match error {
                        HubError::Unreachable(reason) | HubError::Invalid(reason) => reason,
                        HubError::NotFound => "not found".to_string(),
                    };
                    Failure {
                        message: format!(
                            "cannot download `{package}` {version} from `{}`: {reason}",
                            info.tarball
                        ),
                        help: vendor_help(package),
                        unreachable: true,
                    }
                })?;
                let target = self.fresh_dir("hub");
                unpack(&bytes, &target).map_err(|reason| {
                    Failure::new(
                        format!("cannot unpack `{package}` {version}: {reason}"),
                        "run `uxt deps` again; if it persists, vendor the package with `local:`",
                    )
                })?
            }
        };
        self.folders.insert(key, folder.clone());
        Ok(folder)
    }

    fn read_project(&self, folder: &Path, label: &str) -> Result<Fetched, Failure> {
        let file = folder.join("dbt_project.yml");
        let text = std::fs::read_to_string(&file).map_err(|_| {
            Failure::new(
                format!("package `{label}` has no `dbt_project.yml`"),
                "a package is a dbt project: its folder must hold `dbt_project.yml`",
            )
        })?;
        let source: std::sync::Arc<str> = std::sync::Arc::from(text);
        let document = crate::project::yaml::parse("dbt_project.yml", &source).map_err(|d| {
            Failure::new(
                format!("package `{label}`: {}", d.message),
                "fix its `dbt_project.yml`",
            )
        })?;
        let name = document
            .get("name")
            .and_then(crate::project::yaml::scalar_string)
            .ok_or_else(|| {
                Failure::new(
                    format!("package `{label}` has no `name` in `dbt_project.yml`"),
                    "a package needs a project name",
                )
            })?;
        let packages = match spec::read(folder, self.vars) {
            Ok(found) => found.map(|specs| specs.specs).unwrap_or_default(),
            Err(problems) => {
                return Err(Failure::new(
                    format!(
                        "package `{name}` lists packages uxt cannot read: {}",
                        problems.first().map(|d| d.to_string()).unwrap_or_default()
                    ),
                    "fix the package's packages.yml",
                ));
            }
        };
        Ok(Fetched {
            name,
            packages,
            commit: None,
        })
    }
}

/// Help for a package that could not be reached.
pub fn vendor_help(label: &str) -> String {
    format!(
        "without network access, vendor `{label}`: copy the package into the project and list it \
         as `- local: <folder>`, or download its release archive elsewhere and list it as \
         `- tarball: <file.tar.gz>` with `name: <project name>`"
    )
}

fn hub_failure(package: &str, base: &str, error: HubError) -> Failure {
    match error {
        HubError::Unreachable(reason) => Failure {
            message: format!("cannot reach the package hub `{base}` for `{package}`: {reason}"),
            help: vendor_help(package),
            unreachable: true,
        },
        HubError::NotFound => Failure::new(
            format!("`{package}` is not a package on the hub `{base}`"),
            "check the spelling (`org/name`, as on hub.getdbt.com), or use `git:` for packages not on the hub",
        ),
        HubError::Invalid(reason) => Failure::new(
            format!("the package hub `{base}` gave no usable answer for `{package}`: {reason}"),
            "try again later, or vendor the package with `local:`",
        ),
    }
}

/// `git clone` then `git checkout <revision>`; returns the commit checked out.
fn clone(url: &str, revision: &str, into: &Path) -> Result<String, Failure> {
    let git = |args: &[&str], cwd: Option<&Path>| -> Result<String, Failure> {
        let mut command = Command::new("git");
        command.args(args).env("GIT_TERMINAL_PROMPT", "0");
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        let output = command.output().map_err(|error| {
            Failure::new(
                format!("cannot run `git` for `{url}`: {error}"),
                "install git and make sure it is on PATH",
            )
        })?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(Failure::new(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
                String::new(),
            ))
        }
    };
    let target = into.to_string_lossy().to_string();
    git(&["clone", "--quiet", url, &target], None).map_err(|failure| Failure {
        message: format!("cannot clone `{url}`: {}", failure.message),
        help: vendor_help(url),
        unreachable: true,
    })?;
    if revision != "HEAD" {
        git(&["checkout", "--quiet", revision], Some(into)).map_err(|failure| {
            Failure::new(
                format!("`{url}` has no revision `{revision}`: {}", failure.message),
                "set `revision:` to a tag, branch or commit of the repository",
            )
        })?;
    }
    git(&["rev-parse", "HEAD"], Some(into))
}

/// Unpacks a `.tar.gz` (or plain `.tar`) and returns its one top-level folder, as dbt expects.
fn unpack(bytes: &[u8], into: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(into).map_err(|e| e.to_string())?;
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn std::io::Read> = if gzipped {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    // `unpack` refuses entries that would land outside `into`.
    tar::Archive::new(reader)
        .unpack(into)
        .map_err(|e| e.to_string())?;
    let entries: Vec<PathBuf> = std::fs::read_dir(into)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            // GitHub's archives carry a `pax_global_header` entry beside the folder.
            path.file_name().is_none_or(|n| n != "pax_global_header")
        })
        .collect();
    match entries.as_slice() {
        [single] if single.is_dir() => Ok(single.clone()),
        _ => Err(format!(
            "it holds {} top-level entries instead of one folder",
            entries.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball(files: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, text.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpacks_one_folder() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = tarball(&[
            ("pkg-1.0/dbt_project.yml", "name: pkg\n"),
            ("pkg-1.0/macros/m.sql", "{% macro m() %}1{% endmacro %}"),
        ]);
        let folder = unpack(&bytes, dir.path()).unwrap();
        assert!(folder.join("macros/m.sql").is_file());
    }

    #[test]
    fn refuses_archives_without_one_folder() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = tarball(&[("a/dbt_project.yml", "name: a\n"), ("b.sql", "select 1")]);
        assert!(
            unpack(&bytes, dir.path())
                .unwrap_err()
                .contains("2 top-level")
        );
    }
}
