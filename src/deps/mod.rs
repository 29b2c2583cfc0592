//! `uxt deps`: resolves what `packages.yml` (or `dependencies.yml`) asks for as dbt does —
//! transitive dependencies level by level, hub version ranges intersected, conflicts named with
//! both requirers — writes `package-lock.yml`, and installs every locked package into
//! `packages-install-path`. The install is built beside the old one and swapped in whole, so a
//! failed run leaves the previous packages in place. Also [`check`]: whether the install matches
//! the lock, for the commands that load packages.
//!
//! No Jinja beyond `env_var()`/`var()` in package files; no database.

pub mod fetch;
pub mod hub;
pub mod lock;
pub mod spec;
pub mod version;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use self::fetch::{Failure, Fetcher, Pinned};
use self::lock::{LOCK_FILE, Lock, Locked};
use self::spec::{PACKAGES_FILE, Source, Spec, Specs};
use self::version::{Range, Specifier};
use crate::diagnostic::{Code, Diagnostic, Error, Result};
use crate::ui::{self, Level};

/// What uxt records beside the installed packages: the lock entries they were installed from.
const RECORD_FILE: &str = ".uxt-deps.json";

/// `uxt deps`'s flags.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Resolve and write `package-lock.yml` only.
    pub lock_only: bool,
    /// Resolve again even when the lock matches `packages.yml`.
    pub upgrade: bool,
    pub add_package: Option<AddPackage>,
}

/// `--add-package name@version` with `--source`.
#[derive(Debug, Clone)]
pub struct AddPackage {
    pub name: String,
    pub version: Option<String>,
    /// `hub`, `git`, `local` or `tarball`.
    pub source: String,
}

/// The project `deps` works on.
pub struct Project<'a> {
    pub root: &'a Path,
    pub name: &'a str,
    /// `packages-install-path`, relative to `root`.
    pub install_path: &'a str,
    /// `--vars`, which package files may read with `var()`.
    pub vars: &'a Map<String, Value>,
}

impl<'a> Project<'a> {
    /// The packages' view of a loaded project, with the invocation's `--vars`.
    pub fn of(project: &'a crate::project::Project, vars: &'a Map<String, Value>) -> Self {
        Project {
            root: &project.root,
            name: &project.name,
            install_path: &project.packages_install_path,
            vars,
        }
    }
}

/// Who asked for a package, for messages about conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirer {
    Root { file: String, line: usize },
    Package { name: String, version: String },
}

impl fmt::Display for Requirer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirer::Root { file, line } => write!(f, "the root project ({file}:{line})"),
            Requirer::Package { name, version } if version.is_empty() => {
                write!(f, "package `{name}`")
            }
            Requirer::Package { name, version } => write!(f, "package `{name}` {version}"),
        }
    }
}

/// A package as asked for by everyone who asked, before pinning.
struct Wanted {
    first: Spec,
    requests: Vec<(Spec, Requirer)>,
}

impl Wanted {
    /// Pins the package: the highest hub version every range allows, the one git revision.
    fn pin(&self, fetcher: &mut Fetcher<'_>) -> std::result::Result<Pinned, Failure> {
        match &self.first.source {
            Source::Local { path } => Ok(Pinned::Local { path: path.clone() }),
            Source::Tarball { url, name } => Ok(Pinned::Tarball {
                url: url.clone(),
                url_unrendered: unrendered(&self.first, "tarball", url),
                name: name.clone(),
            }),
            Source::Git {
                url,
                subdirectory,
                warn_unpinned,
                ..
            } => {
                let mut revisions: BTreeMap<String, &Requirer> = BTreeMap::new();
                for (spec, requirer) in &self.requests {
                    if let Source::Git {
                        revision: Some(revision),
                        ..
                    } = &spec.source
                    {
                        revisions.entry(revision.clone()).or_insert(requirer);
                    }
                }
                if revisions.len() > 1 {
                    let listed: Vec<String> = revisions
                        .iter()
                        .map(|(revision, requirer)| format!("`{revision}` ({requirer})"))
                        .collect();
                    return Err(Failure {
                        message: format!(
                            "git package `{}` is asked for at different revisions: {}",
                            self.first.source.label(),
                            listed.join(" and ")
                        ),
                        help: "ask for one revision everywhere".into(),
                        unreachable: false,
                    });
                }
                let warn_unpinned = *warn_unpinned
                    && self.requests.iter().all(|(spec, _)| {
                        !matches!(
                            spec.source,
                            Source::Git {
                                warn_unpinned: false,
                                ..
                            }
                        )
                    });
                Ok(Pinned::Git {
                    url: url.clone(),
                    url_unrendered: unrendered(&self.first, "git", url),
                    revision: revisions
                        .into_keys()
                        .next()
                        .unwrap_or_else(|| "HEAD".to_string()),
                    subdirectory: subdirectory.clone(),
                    warn_unpinned,
                })
            }
            Source::Hub { package, .. } => self.pin_hub(package, fetcher),
        }
    }

    fn pin_hub(
        &self,
        package: &str,
        fetcher: &mut Fetcher<'_>,
    ) -> std::result::Result<Pinned, Failure> {
        let mut specifiers: Vec<(Specifier, &Requirer)> = Vec::new();
        let mut prerelease = false;
        for (spec, requirer) in &self.requests {
            if let Source::Hub {
                versions,
                install_prerelease,
                ..
            } = &spec.source
            {
                prerelease |= *install_prerelease;
                for text in versions {
                    if let Some(specifier) = Specifier::parse(text) {
                        prerelease |= !specifier.version.pre.is_empty();
                        specifiers.push((specifier, requirer));
                    }
                }
            }
        }
        let Some(range) = Range::reduce(specifiers.iter().map(|(s, _)| s)) else {
            let conflict = specifiers
                .iter()
                .enumerate()
                .flat_map(|(i, a)| specifiers[i + 1..].iter().map(move |b| (a, b)))
                .find(|(a, b)| Range::reduce([&a.0, &b.0]).is_none());
            let message = match conflict {
                Some(((a, by_a), (b, by_b))) => format!(
                    "version conflict for `{package}`: {by_a} asks for `{a}` and {by_b} asks for `{b}`"
                ),
                None => format!("version conflict for `{package}`"),
            };
            return Err(Failure {
                message,
                help: "change one of the version ranges so that they overlap".into(),
                unreachable: false,
            });
        };
        let base = fetcher.hub.base().to_string();
        let found = match fetcher.hub.package(package) {
            Ok(found) => found,
            Err(error) => {
                return Err(match error {
                    hub::HubError::Unreachable(reason) => Failure {
                        message: format!(
                            "cannot reach the package hub `{base}` for `{package}`, required as {}: {reason}",
                            self.requesters()
                        ),
                        help: fetch::vendor_help(package),
                        unreachable: true,
                    },
                    hub::HubError::NotFound => Failure {
                        message: format!(
                            "`{package}` (required as {}) is not a package on the hub `{base}`",
                            self.requesters()
                        ),
                        help: "check the spelling (`org/name`, as on hub.getdbt.com), or use `git:` for packages not on the hub".into(),
                        unreachable: false,
                    },
                    hub::HubError::Invalid(reason) => Failure {
                        message: format!("the package hub `{base}` gave no usable answer for `{package}`: {reason}"),
                        help: "try again later, or vendor the package with `local:`".into(),
                        unreachable: false,
                    },
                });
            }
        };
        if let Some(moved) = &found.moved_to {
            ui::warn(&format!(
                "`{package}` has moved to `{moved}` on the hub; update packages.yml to the new name"
            ));
        }
        let compatible = compatible_versions(found);
        match range.pick(&compatible, prerelease) {
            Some(version) => Ok(Pinned::Hub {
                package: package.to_string(),
                version: version.to_string(),
            }),
            None => {
                let mut available: Vec<&String> = compatible.iter().collect();
                available.sort_by_key(|v| version::parse_version(v));
                let shown: Vec<&str> = available.iter().rev().take(8).map(|v| v.as_str()).collect();
                Err(Failure {
                    message: format!(
                        "no version of `{package}` compatible with dbt {} matches `{range}` (required as {})",
                        crate::DBT_VERSION,
                        self.requesters()
                    ),
                    help: if shown.is_empty() {
                        "the hub lists no version of it for this dbt version".into()
                    } else {
                        format!("the newest versions are {}", shown.join(", "))
                    },
                    unreachable: false,
                })
            }
        }
    }

    fn requesters(&self) -> String {
        let names: Vec<String> = self
            .requests
            .iter()
            .map(|(spec, requirer)| match &spec.source {
                Source::Hub { versions, .. } => {
                    format!("`{}` by {requirer}", versions.join(", "))
                }
                _ => format!("by {requirer}"),
            })
            .collect();
        names.join("; ")
    }
}

fn unrendered(spec: &Spec, key: &str, fallback: &str) -> String {
    spec.unrendered
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_string()
}

/// The identity of a package across requests, as dbt keys them.
fn key_of(source: &Source) -> String {
    match source {
        Source::Local { path } => format!("local:{path}"),
        Source::Git {
            url, subdirectory, ..
        } => format!(
            "git:{}/{}",
            url.strip_suffix(".git").unwrap_or(url),
            subdirectory.as_deref().unwrap_or("")
        ),
        Source::Tarball { url, .. } => format!("tarball:{url}"),
        Source::Hub { package, .. } => format!("hub:{package}"),
    }
}

/// Runs `uxt deps`.
pub fn deps(project: &Project<'_>, options: &Options) -> Result<()> {
    if let Some(add) = &options.add_package {
        add_package(project, add)?;
    }
    let specs = spec::read(project.root, project.vars)?;
    let specs = specs.filter(|found| !found.specs.is_empty());
    let work = tempfile::Builder::new()
        .prefix(".uxt-deps-")
        .tempdir_in(install_parent(project)?)
        .map_err(|e| anyhow::anyhow!("while creating a folder for downloads: {e}"))?;
    let mut fetcher = Fetcher::new(project.root, work.path().join("downloads"), project.vars);
    let lock = match &specs {
        None => {
            ui::event(
                "DepsNoPackagesFound",
                Level::Info,
                "Warning: No packages were found in packages.yml",
                Value::Null,
            );
            Lock {
                packages: Vec::new(),
                sha1_hash: None,
            }
        }
        Some(specs) => {
            let hash = spec::sha1_hash(&specs.specs);
            let current = lock::read(project.root, project.vars)?;
            match current {
                Some(lock) if !options.upgrade && lock.sha1_hash.as_deref() == Some(&hash) => lock,
                _ => {
                    let lock = resolve(project, specs, hash, &mut fetcher)?;
                    let path = project.root.join(LOCK_FILE);
                    std::fs::write(&path, lock.to_yaml())
                        .map_err(|e| anyhow::anyhow!("while writing `{}`: {e}", path.display()))?;
                    ui::event(
                        "DepsLockUpdating",
                        Level::Info,
                        &format!("Updating lock file in file path: {}", path.display()),
                        json!({ "lock_filepath": path.display().to_string() }),
                    );
                    lock
                }
            }
        }
    };
    if options.lock_only {
        return Ok(());
    }
    install(project, &lock, &mut fetcher, work.path())
}

/// The folder that holds `packages-install-path`, where the new install is built.
fn install_parent(project: &Project<'_>) -> Result<PathBuf> {
    let target = project.root.join(project.install_path);
    let parent = target
        .parent()
        .map_or_else(|| project.root.to_path_buf(), Path::to_path_buf);
    std::fs::create_dir_all(&parent)
        .map_err(|e| anyhow::anyhow!("while creating `{}`: {e}", parent.display()))?;
    Ok(parent)
}

/// Resolves level by level, as dbt: each level's packages are pinned with every range seen so
/// far, and their own dependencies form the next level.
fn resolve(
    project: &Project<'_>,
    specs: &Specs,
    hash: String,
    fetcher: &mut Fetcher<'_>,
) -> Result<Lock> {
    let mut wanted: IndexMap<String, Wanted> = IndexMap::new();
    let root_requirer = |spec: &Spec| Requirer::Root {
        file: specs.file.path.clone(),
        line: spec.line,
    };
    let mut pending: Vec<(Spec, Requirer)> = specs
        .specs
        .iter()
        .map(|spec| (spec.clone(), root_requirer(spec)))
        .collect();
    let mut expanded: BTreeSet<String> = BTreeSet::new();
    let mut failures: IndexMap<String, (Failure, Option<usize>)> = IndexMap::new();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for (spec, requirer) in pending {
            let key = key_of(&spec.source);
            let line = match &requirer {
                Requirer::Root { line, .. } => Some(*line),
                Requirer::Package { .. } => None,
            };
            let entry = wanted.entry(key.clone()).or_insert_with(|| Wanted {
                first: spec.clone(),
                requests: Vec::new(),
            });
            entry.requests.push((spec, requirer));
            let pinned = match entry.pin(fetcher) {
                Ok(pinned) => {
                    failures.shift_remove(&key);
                    pinned
                }
                Err(failure) => {
                    failures.insert(key, (failure, line));
                    continue;
                }
            };
            if !expanded.insert(format!("{pinned:?}")) {
                continue;
            }
            match fetcher.metadata(&pinned) {
                Ok(fetched) => {
                    let version = match &pinned {
                        Pinned::Hub { version, .. } => version.clone(),
                        _ => String::new(),
                    };
                    next.extend(fetched.packages.into_iter().map(|dependency| {
                        (
                            dependency,
                            Requirer::Package {
                                name: fetched.name.clone(),
                                version: version.clone(),
                            },
                        )
                    }));
                }
                Err(failure) => {
                    failures.insert(key, (failure, line));
                }
            }
        }
        pending = next;
    }
    let mut packages = Vec::new();
    for (key, entry) in &wanted {
        if failures.contains_key(key) {
            continue;
        }
        let pinned = entry.pin(fetcher).and_then(|pinned| {
            let fetched = fetcher.metadata(&pinned)?;
            Ok((pinned, fetched))
        });
        match pinned {
            Ok((mut pinned, fetched)) => {
                if let (
                    Pinned::Git {
                        revision,
                        warn_unpinned,
                        url,
                        ..
                    },
                    Some(commit),
                ) = (&mut pinned, &fetched.commit)
                {
                    if *warn_unpinned && matches!(revision.as_str(), "HEAD" | "main" | "master") {
                        ui::event(
                            "DepsUnpinned",
                            Level::Warn,
                            &format!(
                                "[WARNING]: The git package `{url}` is not pinned (revision `{revision}`); the lock pins commit {commit}. Add `revision:` with a tag or commit to choose the version"
                            ),
                            json!({ "revision": revision, "git": url }),
                        );
                    }
                    *revision = commit.clone();
                }
                packages.push(Locked {
                    name: fetched.name,
                    pinned,
                });
            }
            Err(failure) => {
                failures.insert(key.clone(), (failure, None));
            }
        }
    }
    if !failures.is_empty() {
        return Err(Error::Diagnostics(
            failures
                .into_values()
                .map(|(failure, line)| failure_diagnostic(failure, specs, line))
                .collect(),
        ));
    }
    let mut seen: BTreeMap<&str, &Locked> = BTreeMap::new();
    let mut problems = Vec::new();
    for locked in &packages {
        if locked.name == project.name {
            problems.push(
                Diagnostic::new(
                    Code::DepsDuplicateName,
                    format!(
                        "package `{}` has the root project's name `{}`",
                        locked.pinned.label(),
                        locked.name
                    ),
                )
                .in_file(&specs.file.path)
                .with_help(
                    "a project cannot depend on itself; remove the package or rename the project",
                ),
            );
        } else if let Some(previous) = seen.insert(&locked.name, locked) {
            problems.push(
                Diagnostic::new(
                    Code::DepsDuplicateName,
                    format!(
                        "two packages are both named `{}`: `{}` and `{}`",
                        locked.name,
                        previous.pinned.label(),
                        locked.pinned.label()
                    ),
                )
                .in_file(&specs.file.path)
                .with_help("keep one of them; a project name is a package's namespace"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Error::Diagnostics(problems));
    }
    Ok(Lock {
        packages,
        sha1_hash: Some(hash),
    })
}

fn failure_diagnostic(failure: Failure, specs: &Specs, line: Option<usize>) -> Diagnostic {
    let code = if failure.unreachable {
        Code::DepsUnreachable
    } else {
        Code::DepsResolve
    };
    let diagnostic = Diagnostic::new(code, failure.message);
    let diagnostic = match line {
        Some(line) => diagnostic.at_line(&specs.file.path, specs.file.contents.clone(), line),
        None => diagnostic.in_file(&specs.file.path),
    };
    if failure.help.is_empty() {
        diagnostic
    } else {
        diagnostic.with_help(failure.help)
    }
}

/// Installs every locked package into a new folder, then swaps it for the old install.
fn install(
    project: &Project<'_>,
    lock: &Lock,
    fetcher: &mut Fetcher<'_>,
    work: &Path,
) -> Result<()> {
    let target = project.root.join(project.install_path);
    let staging = work.join("install");
    std::fs::create_dir_all(&staging)
        .map_err(|e| anyhow::anyhow!("while creating `{}`: {e}", staging.display()))?;
    let previous = read_record(&target);
    let mut problems = Vec::new();
    let mut updates = Vec::new();
    for locked in &lock.packages {
        ui::event(
            "DepsStartPackageInstall",
            Level::Info,
            &format!("Installing {}", locked.pinned.label()),
            json!({ "package_name": locked.pinned.label() }),
        );
        let destination = staging.join(&locked.name);
        if locked.name.contains(['/', '\\']) || locked.name.starts_with('.') {
            problems.push(
                Diagnostic::new(
                    Code::DepsInvalid,
                    format!(
                        "package name `{}` would install outside `{}`",
                        locked.name, project.install_path
                    ),
                )
                .in_file(LOCK_FILE)
                .with_help("a package's `name` is a plain project name"),
            );
            continue;
        }
        let installed = target.join(&locked.name);
        let reused = !matches!(locked.pinned, Pinned::Local { .. })
            && previous.contains(&Value::Object(locked.entry()))
            && installed.join("dbt_project.yml").is_file()
            && copy_dir(&installed, &destination).is_ok();
        if !reused && let Err(failure) = place(fetcher, &locked.pinned, &destination) {
            problems.push(failure_diagnostic_in_lock(failure));
            continue;
        }
        let mut message = format!("Installed from {}", locked.pinned.version_name());
        if reused {
            message.push_str(" (already installed)");
        }
        ui::event(
            "DepsInstallInfo",
            Level::Info,
            &message,
            json!({ "version_name": locked.pinned.version_name() }),
        );
        if let Pinned::Hub { package, version } = &locked.pinned
            && !reused
            && let Some(latest) = latest_version(fetcher, package)
        {
            if &latest == version {
                ui::event("DepsUpToDate", Level::Info, "Up to date!", Value::Null);
            } else {
                ui::event(
                    "DepsUpdateAvailable",
                    Level::Info,
                    &format!("Updated version available: {latest}"),
                    json!({ "version_latest": latest }),
                );
                updates.push(package.clone());
            }
        }
        if let Pinned::Git {
            subdirectory: Some(sub),
            ..
        } = &locked.pinned
        {
            ui::event(
                "DepsListSubdirectory",
                Level::Info,
                &format!("and subdirectory {sub}"),
                json!({ "subdirectory": sub }),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Error::Diagnostics(problems));
    }
    let record = json!({
        "packages": lock.packages.iter().map(|l| Value::Object(l.entry())).collect::<Vec<_>>()
    });
    std::fs::write(
        staging.join(RECORD_FILE),
        serde_json::to_string_pretty(&record).unwrap_or_default(),
    )
    .map_err(|e| anyhow::anyhow!("while writing the install record: {e}"))?;
    swap(&staging, &target, work)?;
    if !updates.is_empty() {
        ui::blank();
        ui::event(
            "DepsNotifyUpdatesAvailable",
            Level::Info,
            &format!(
                "Updates available for packages: {}\nUpdate your versions in packages.yml, then run uxt deps",
                updates.join(", ")
            ),
            json!({ "packages": updates }),
        );
    }
    Ok(())
}

fn failure_diagnostic_in_lock(failure: Failure) -> Diagnostic {
    let code = if failure.unreachable {
        Code::DepsUnreachable
    } else {
        Code::DepsInstall
    };
    let diagnostic = Diagnostic::new(code, failure.message).in_file(LOCK_FILE);
    if failure.help.is_empty() {
        diagnostic
    } else {
        diagnostic.with_help(failure.help)
    }
}

/// Puts one package's files at `destination`: a symlink to a local folder (a copy where links
/// are not possible), else the fetched files.
fn place(
    fetcher: &mut Fetcher<'_>,
    pinned: &Pinned,
    destination: &Path,
) -> std::result::Result<(), Failure> {
    let folder = fetcher.folder(pinned)?;
    let failed = |error: std::io::Error| Failure {
        message: format!(
            "cannot install `{}` into `{}`: {error}",
            pinned.label(),
            destination.display()
        ),
        help: "check that the project folder is writable".into(),
        unreachable: false,
    };
    if let Pinned::Local { .. } = pinned {
        let absolute = folder.canonicalize().map_err(failed)?;
        #[cfg(unix)]
        if std::os::unix::fs::symlink(&absolute, destination).is_ok() {
            return Ok(());
        }
        return copy_dir(&absolute, destination).map_err(failed);
    }
    std::fs::rename(&folder, destination)
        .or_else(|_| copy_dir(&folder, destination))
        .map_err(failed)
}

/// The newest release the hub offers for this dbt version, when it can be asked.
fn latest_version(fetcher: &mut Fetcher<'_>, package: &str) -> Option<String> {
    let found = fetcher.hub.package(package).ok()?;
    let releases = compatible_versions(found);
    Range::default().pick(&releases, false).map(str::to_string)
}

/// The versions of a hub package whose `require_dbt_version` admits [`crate::DBT_VERSION`].
fn compatible_versions(found: &hub::HubPackage) -> Vec<String> {
    let dbt = version::parse_version(crate::DBT_VERSION).expect("a valid version constant");
    found
        .versions
        .iter()
        .filter(|(_, info)| {
            let required: Vec<Specifier> = info
                .require_dbt_version
                .iter()
                .filter_map(|text| Specifier::parse(text))
                .collect();
            version::satisfies(&dbt, &required)
        })
        .map(|(version, _)| version.clone())
        .collect()
}

/// Replaces `target` with `staging`: the old install moves aside first and is removed last.
fn swap(staging: &Path, target: &Path, work: &Path) -> Result<()> {
    let old = work.join("previous");
    let had_previous = target.symlink_metadata().is_ok();
    if had_previous {
        std::fs::rename(target, &old)
            .map_err(|e| anyhow::anyhow!("while moving `{}` aside: {e}", target.display()))?;
    }
    if let Err(error) = std::fs::rename(staging, target) {
        if had_previous {
            let _ = std::fs::rename(&old, target);
        }
        return Err(
            anyhow::anyhow!("while installing into `{}`: {error}", target.display()).into(),
        );
    }
    Ok(())
}

/// Copies a folder; symlinks inside it are copied as links.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry.map_err(std::io::Error::other)?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        let destination = to.join(relative);
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&destination)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(link, &destination)?;
            #[cfg(not(unix))]
            std::fs::copy(
                entry.path().parent().unwrap_or(from).join(link),
                &destination,
            )?;
        } else {
            std::fs::copy(entry.path(), &destination)?;
        }
    }
    Ok(())
}

/// The lock entries the current install was made from (empty when uxt did not make it).
fn read_record(install: &Path) -> Vec<Value> {
    std::fs::read_to_string(install.join(RECORD_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|record| record.get("packages").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// For commands that load packages: an error telling to run `uxt deps` when the install is
/// missing or does not match `package-lock.yml` and the package file.
///
/// A package file that cannot be read or rendered here (a `var()` that only `--vars` gives) is
/// left to `uxt deps` to report.
pub fn check(project: &Project<'_>) -> std::result::Result<(), Vec<Diagnostic>> {
    let Ok(Some(specs)) = spec::read(project.root, project.vars) else {
        return Ok(());
    };
    if specs.specs.is_empty() {
        return Ok(());
    }
    let install = project.root.join(project.install_path);
    let run_deps = |code: Code, message: String| {
        Diagnostic::new(code, message)
            .in_file(&specs.file.path)
            .with_help("run `uxt deps` to install the packages")
    };
    let installed = |name: &str| install.join(name).join("dbt_project.yml").is_file();
    match lock::read(project.root, project.vars)? {
        Some(lock) if lock.sha1_hash.as_deref() == Some(&spec::sha1_hash(&specs.specs)) => {
            let missing: Vec<&str> = lock
                .packages
                .iter()
                .map(|locked| locked.name.as_str())
                .filter(|name| !installed(name))
                .collect();
            if !missing.is_empty() {
                return Err(vec![run_deps(
                    Code::DepsNotInstalled,
                    format!(
                        "{LOCK_FILE} lists packages not installed in `{}/`: {}",
                        project.install_path,
                        missing
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )]);
            }
            let record = read_record(&install);
            let locked: Vec<Value> = lock
                .packages
                .iter()
                .map(|l| Value::Object(l.entry()))
                .collect();
            if !record.is_empty() && record != locked {
                return Err(vec![run_deps(
                    Code::DepsOutdated,
                    format!(
                        "the packages in `{}/` were installed from another {LOCK_FILE}",
                        project.install_path
                    ),
                )]);
            }
            Ok(())
        }
        Some(_) => Err(vec![run_deps(
            Code::DepsOutdated,
            format!("{} changed since {LOCK_FILE} was written", specs.file.path),
        )]),
        None => {
            let count = std::fs::read_dir(&install)
                .map(|entries| {
                    entries
                        .filter_map(|entry| entry.ok())
                        .filter(|entry| entry.path().join("dbt_project.yml").is_file())
                        .count()
                })
                .unwrap_or(0);
            if count < specs.specs.len() {
                Err(vec![run_deps(
                    Code::DepsNotInstalled,
                    format!(
                        "{} lists {} package(s), but only {count} are installed in `{}/`",
                        specs.file.path,
                        specs.specs.len(),
                        project.install_path
                    ),
                )])
            } else {
                Ok(())
            }
        }
    }
}

/// `--add-package`: adds the entry to the package file (replacing one for the same package),
/// rewritten the way dbt rewrites it.
fn add_package(project: &Project<'_>, add: &AddPackage) -> Result<()> {
    let existing = [spec::DEPENDENCIES_FILE, PACKAGES_FILE]
        .into_iter()
        .find(|name| {
            std::fs::read_to_string(project.root.join(name))
                .is_ok_and(|text| text.lines().any(|line| line.starts_with("packages:")))
        })
        .unwrap_or(PACKAGES_FILE);
    let path = project.root.join(existing);
    let mut document = match std::fs::read_to_string(&path) {
        Ok(text) => crate::project::yaml::parse(existing, &std::sync::Arc::from(text))?,
        Err(_) => Value::Null,
    };
    if !document.is_object() {
        document = json!({});
    }
    let (key, version_key) = match add.source.as_str() {
        "hub" => ("package", "version"),
        "git" => ("git", "revision"),
        "local" => ("local", "version"),
        "tarball" => ("tarball", "version"),
        other => {
            return Err(Error::Usage(format!(
                "`--source {other}`: use hub, git, local or tarball"
            )));
        }
    };
    if add.source == "hub" && add.version.is_none() {
        return Err(Error::Usage(
            "`--add-package` needs a version for a hub package: `--add-package dbt-labs/dbt_utils@1.3.0`".into(),
        ));
    }
    let mut entry = Map::new();
    entry.insert(key.into(), Value::String(add.name.clone()));
    if let Some(version) = &add.version {
        let value = if version.contains(',') {
            Value::Array(
                version
                    .split(',')
                    .map(|v| Value::String(v.trim().to_string()))
                    .collect(),
            )
        } else {
            Value::String(version.clone())
        };
        entry.insert(version_key.into(), value);
    }
    let variants = name_variants(&add.name);
    let list = document
        .as_object_mut()
        .expect("made a mapping above")
        .entry("packages")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let items = list.as_array_mut().expect("made a list above");
    items.retain(|item| {
        let identifier = ["package", "git", "local", "tarball", "private"]
            .iter()
            .find_map(|k| item.get(*k).and_then(Value::as_str))
            .unwrap_or_default();
        let duplicate = variants
            .iter()
            .any(|variant| same_package(identifier, variant));
        if duplicate {
            ui::event(
                "DepsFoundDuplicatePackage",
                Level::Info,
                &format!("Found duplicate package in {existing}, removing: {identifier}"),
                json!({ "removed_package": identifier }),
            );
        }
        !duplicate
    });
    items.push(Value::Object(entry));
    std::fs::write(&path, lock::to_yaml(&document))
        .map_err(|e| anyhow::anyhow!("while writing `{}`: {e}", path.display()))?;
    ui::event(
        "DepsAddPackage",
        Level::Info,
        &format!(
            "Added new package {}@{} to {}",
            add.name,
            add.version.as_deref().unwrap_or(""),
            path.display()
        ),
        json!({ "package_name": add.name, "version": add.version }),
    );
    Ok(())
}

/// The spellings under which a package may already be listed (`dbt-labs/dbt_utils`,
/// `dbt-utils`...), as dbt matches them.
fn name_variants(name: &str) -> Vec<String> {
    let mut variants = vec![
        name.to_string(),
        name.replace('_', "-"),
        name.replace('-', "_"),
    ];
    if let Some((_, short)) = name.rsplit_once('/') {
        variants.extend([
            short.to_string(),
            short.replace('_', "-"),
            short.replace('-', "_"),
        ]);
    }
    variants.sort();
    variants.dedup();
    variants
}

/// Whether `variant` appears in `identifier` between word boundaries (`/`, `.`, or an end).
fn same_package(identifier: &str, variant: &str) -> bool {
    identifier.match_indices(variant).any(|(start, _)| {
        let end = start + variant.len();
        let before = identifier[..start].chars().next_back();
        let after = identifier[end..].chars().next();
        before.is_none_or(|c| c == '/' || c == '.') && after.is_none_or(|c| c == '/' || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_matching_follows_word_boundaries() {
        let variants = name_variants("dbt-labs/dbt_utils");
        let matches = |identifier: &str| variants.iter().any(|v| same_package(identifier, v));
        assert!(matches("https://github.com/dbt-labs/dbt-utils.git"));
        assert!(matches("dbt-labs/dbt_utils"));
        assert!(!matches("dbt-labs/dbt_utils_extra"));
        assert!(!matches("https://github.com/x/my-dbt-utils.git"));
    }
}
