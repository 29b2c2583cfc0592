//! `uxt deps`: `local:`, `git:`, `tarball:` and hub packages, `package-lock.yml` in dbt's shape,
//! version conflicts, no network, and commands that find the install missing or outdated. The
//! hub is a local HTTP server speaking the hub's JSON API, reached through
//! `DBT_PACKAGE_HUB_URL` as dbt reaches it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::harness::{Project, profiles_yml_duckdb};

/// A `.tar.gz` holding `folder/<path>` for each file, as GitHub's release archives do.
fn tarball(folder: &str, files: &[(&str, &str)]) -> Vec<u8> {
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
            .append_data(&mut header, format!("{folder}/{path}"), text.as_bytes())
            .expect("appending to an in-memory archive");
    }
    builder
        .into_inner()
        .and_then(|gz| gz.finish())
        .expect("finishing an in-memory archive")
}

/// A package project with one macro.
fn package_files(name: &str, packages_yml: Option<&str>) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "dbt_project.yml".to_string(),
            format!("name: {name}\nversion: '1.0.0'\nconfig-version: 2\n"),
        ),
        (
            "macros/hello.sql".to_string(),
            format!("{{% macro hello() %}}'{name}'{{% endmacro %}}\n"),
        ),
    ];
    if let Some(text) = packages_yml {
        files.push(("packages.yml".to_string(), text.to_string()));
    }
    files
}

/// The package hub's JSON API on 127.0.0.1: `api/v1/<org>/<name>.json` and the archives.
struct FakeHub {
    server: Arc<tiny_http::Server>,
    url: String,
    thread: Option<JoinHandle<()>>,
}

/// One version a fake hub offers: its dependencies, `require_dbt_version`, and files.
struct HubRelease {
    package: &'static str,
    version: &'static str,
    name: &'static str,
    dependencies: serde_json::Value,
    require_dbt_version: serde_json::Value,
}

impl FakeHub {
    fn start(releases: &[HubRelease]) -> FakeHub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a free port"));
        let url = format!(
            "http://127.0.0.1:{}/",
            server.server_addr().to_ip().expect("an IP listener").port()
        );
        let mut routes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut packages: BTreeMap<&str, serde_json::Map<String, serde_json::Value>> =
            BTreeMap::new();
        for release in releases {
            let archive = format!("/tarballs/{}-{}.tar.gz", release.name, release.version);
            let files = package_files(release.name, None);
            let borrowed: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            routes.insert(
                archive.clone(),
                tarball(&format!("{}-{}", release.name, release.version), &borrowed),
            );
            packages.entry(release.package).or_default().insert(
                release.version.to_string(),
                serde_json::json!({
                    "name": release.name,
                    "packages": release.dependencies,
                    "require_dbt_version": release.require_dbt_version,
                    "downloads": {"tarball": format!("{url}{}", &archive[1..])},
                }),
            );
        }
        for (package, versions) in packages {
            routes.insert(
                format!("/api/v1/{package}.json"),
                serde_json::json!({"name": package, "versions": versions})
                    .to_string()
                    .into_bytes(),
            );
        }
        let serving = server.clone();
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let response = match routes.get(request.url()) {
                    Some(body) => tiny_http::Response::from_data(body.clone()),
                    None => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let _ = request.respond(response);
            }
        });
        FakeHub {
            server,
            url,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An address where nothing listens: the hub without network.
const NO_HUB: &str = "http://127.0.0.1:9/";

fn root_project(packages_yml: &str) -> Project {
    let project = Project::empty();
    project
        .write(
            "dbt_project.yml",
            "name: shop\nprofile: shop\nconfig-version: 2\n",
        )
        .write("profiles.yml", profiles_yml_duckdb("shop"))
        .write("packages.yml", packages_yml)
        .write("models/orders.sql", "select 1 as id\n");
    project
}

fn write_package(project: &Project, folder: &str, name: &str, packages_yml: Option<&str>) {
    for (path, text) in package_files(name, packages_yml) {
        project.write(format!("{folder}/{path}"), text);
    }
}

/// The error output with miette's wrapped lines joined, so a sentence can be asserted whole.
fn flat(text: &str) -> String {
    text.replace("\n  │ ", " ").replace("\n        ", " ")
}

fn read(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.path().join(path))
        .unwrap_or_else(|error| panic!("read `{path}`: {error}"))
}

fn installed(project: &Project, name: &str) -> bool {
    project
        .path()
        .join("dbt_packages")
        .join(name)
        .join("dbt_project.yml")
        .is_file()
}

fn release(
    package: &'static str,
    version: &'static str,
    name: &'static str,
    dependencies: serde_json::Value,
) -> HubRelease {
    HubRelease {
        package,
        version,
        name,
        dependencies,
        require_dbt_version: serde_json::json!([">=1.3.0", "<3.0.0"]),
    }
}

fn hub_with_helpers_and_shim() -> FakeHub {
    let shim_range =
        serde_json::json!([{"package": "acme/shim", "version": [">=0.1.0", "<0.2.0"]}]);
    FakeHub::start(&[
        release("acme/helpers", "1.0.0", "helpers", serde_json::json!([])),
        release("acme/helpers", "1.2.0", "helpers", shim_range.clone()),
        release("acme/helpers", "1.3.0-b1", "helpers", shim_range),
        HubRelease {
            require_dbt_version: serde_json::json!([">=9.0.0"]),
            ..release("acme/helpers", "2.0.0", "helpers", serde_json::json!([]))
        },
        release("acme/shim", "0.1.0", "shim", serde_json::json!([])),
        release("acme/shim", "0.1.5", "shim", serde_json::json!([])),
        release("acme/shim", "0.2.0", "shim", serde_json::json!([])),
    ])
}

#[test]
fn local_packages_install_as_links_with_dbts_lock() {
    let project = root_project("packages:\n  - local: vendor/helpers\n");
    write_package(
        &project,
        "vendor/helpers",
        "helpers",
        Some("packages:\n  - local: vendor/shim\n"),
    );
    write_package(&project, "vendor/shim", "shim", None);
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    // dbt resolves a local package's own `local:` paths from the root project, and hashes the
    // package list as dbt-core 1.11 does.
    assert_eq!(
        read(&project, "package-lock.yml"),
        "packages:\n  - local: vendor/helpers\n    name: helpers\n  - local: vendor/shim\n    name: shim\nsha1_hash: 3c025375c4a1c13bb154f3f0c74de3d2b66abe3d\n"
    );
    assert!(installed(&project, "helpers") && installed(&project, "shim"));
    assert!(
        project
            .path()
            .join("dbt_packages/helpers")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        out.stdout()
            .contains("Installed from <local @ vendor/helpers>"),
        "{out:?}"
    );
}

#[test]
fn hub_packages_resolve_ranges_transitively_and_skip_incompatible_versions() {
    let hub = hub_with_helpers_and_shim();
    let project = root_project(
        "packages:\n  - package: acme/helpers\n    version: [\">=1.0.0\", \"<3.0.0\"]\n",
    );
    let out = project.run_with_env(&["deps"], &[("DBT_PACKAGE_HUB_URL", &hub.url)]);
    assert_eq!(out.code(), 0, "{out:?}");
    // 2.0.0 needs dbt 9 and 1.3.0-b1 is a prerelease: 1.2.0 it is, and its shim range picks 0.1.5.
    let lock = read(&project, "package-lock.yml");
    assert!(
        lock.starts_with("packages:\n  - name: helpers\n    package: acme/helpers\n    version: 1.2.0\n  - name: shim\n    package: acme/shim\n    version: 0.1.5\nsha1_hash: "),
        "{lock}"
    );
    assert!(installed(&project, "helpers") && installed(&project, "shim"));
    assert!(
        out.stdout().contains("Installed from version 1.2.0"),
        "{out:?}"
    );
    assert!(out.stdout().contains("Up to date!"), "{out:?}");

    // Installed and locked: a second run needs no hub.
    let again = project.run_with_env(&["deps"], &[("DBT_PACKAGE_HUB_URL", NO_HUB)]);
    assert_eq!(again.code(), 0, "{again:?}");
    assert!(again.stdout().contains("(already installed)"), "{again:?}");
    assert_eq!(read(&project, "package-lock.yml"), lock);
}

#[test]
fn conflicting_ranges_name_both_requirers() {
    let hub = hub_with_helpers_and_shim();
    let project = root_project(
        "packages:\n  - package: acme/helpers\n    version: 1.2.0\n  - package: acme/shim\n    version: \">=0.2.0\"\n",
    );
    let out = project.run_with_env(&["deps"], &[("DBT_PACKAGE_HUB_URL", &hub.url)]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        flat(out.stderr()).contains("version conflict for `acme/shim`: the root project (packages.yml:4) asks for `>=0.2.0` and package `helpers` 1.2.0 asks for `<0.2.0`"),
        "{out:?}"
    );
    assert!(out.stderr().contains("uxt::deps::resolve"), "{out:?}");
    assert!(!project.path().join("package-lock.yml").exists());
}

#[test]
fn unreachable_hub_names_every_package_and_keeps_the_install() {
    let project = root_project(
        "packages:\n  - local: vendor/shim\n  - package: acme/helpers\n    version: [\">=1.0.0\"]\n  - package: acme/other\n    version: 1.0.0\n",
    );
    write_package(&project, "vendor/shim", "shim", None);
    project.write("dbt_packages/kept/dbt_project.yml", "name: kept\n");
    let out = project.run_with_env(&["deps"], &[("DBT_PACKAGE_HUB_URL", NO_HUB)]);
    assert_eq!(out.code(), 1, "{out:?}");
    for package in ["acme/helpers", "acme/other"] {
        assert!(
            flat(out.stderr()).contains(&format!(
                "cannot reach the package hub `{NO_HUB}` for `{package}`"
            )) && out.stderr().contains("uxt::deps::unreachable"),
            "{out:?}"
        );
    }
    assert!(flat(out.stderr()).contains("- local: <folder>"), "{out:?}");
    assert!(out.stderr().contains("packages.yml:3"), "{out:?}");
    assert!(
        project
            .path()
            .join("dbt_packages/kept/dbt_project.yml")
            .is_file()
    );
}

#[test]
fn git_packages_pin_the_commit_and_read_a_subdirectory() {
    let project = root_project("");
    let repository = project.path().join("upstream");
    write_package(&project, "upstream/pkg", "gitpkg", None);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&repository)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "--quiet"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "first"]);
    git(&["tag", "v1"]);
    let commit = git(&["rev-parse", "HEAD"]);
    let url = repository.display().to_string();
    project.write(
        "packages.yml",
        format!("packages:\n  - git: \"{url}\"\n    revision: v1\n    subdirectory: pkg\n"),
    );
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let lock = read(&project, "package-lock.yml");
    assert!(
        lock.contains(&format!(
            "  - git: {url}\n    name: gitpkg\n    revision: {commit}\n    subdirectory: pkg\n"
        )),
        "{lock}"
    );
    assert!(installed(&project, "gitpkg"));
    assert!(
        project
            .path()
            .join("dbt_packages/gitpkg/macros/hello.sql")
            .is_file()
    );

    project.write(
        "packages.yml",
        format!("packages:\n  - git: \"{url}\"\n    revision: v9\n"),
    );
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("has no revision `v9`"), "{out:?}");
}

#[test]
fn tarball_files_install_under_their_name() {
    let project =
        root_project("packages:\n  - tarball: archives/vendored.tar.gz\n    name: vendored\n");
    let files = package_files("vendored", None);
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    project.write(
        "archives/vendored.tar.gz",
        tarball("vendored-1.0", &borrowed),
    );
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(installed(&project, "vendored"));
    assert!(
        read(&project, "package-lock.yml")
            .contains("  - name: vendored\n    tarball: archives/vendored.tar.gz\n")
    );

    project.write(
        "packages.yml",
        "packages:\n  - tarball: archives/missing.tar.gz\n    name: missing\n",
    );
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("tarball `archives/missing.tar.gz` does not exist"),
        "{out:?}"
    );
    assert!(
        installed(&project, "vendored"),
        "a failed run keeps the previous install"
    );
}

#[test]
fn commands_ask_for_deps_when_the_install_is_missing_or_outdated() {
    let project = root_project("packages:\n  - local: vendor/helpers\n");
    write_package(&project, "vendor/helpers", "helpers", None);
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr().contains(
            "packages.yml lists 1 package(s), but only 0 are installed in `dbt_packages/`"
        ),
        "{out:?}"
    );
    assert!(out.stderr().contains("run `uxt deps`"), "{out:?}");
    assert!(out.stderr().contains("uxt::deps::not_installed"), "{out:?}");

    assert_eq!(project.run(&["deps"]).code(), 0);
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 0, "{out:?}");

    write_package(&project, "vendor/more", "more", None);
    project.write(
        "packages.yml",
        "packages:\n  - local: vendor/helpers\n  - local: vendor/more\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("packages.yml changed since package-lock.yml was written"),
        "{out:?}"
    );
    assert!(out.stderr().contains("uxt::deps::outdated"), "{out:?}");

    // `--lock` writes the lock without installing: the install is then missing a package.
    assert_eq!(project.run(&["deps", "--lock"]).code(), 0);
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("package-lock.yml lists packages not installed in `dbt_packages/`: `more`"),
        "{out:?}"
    );
}

#[test]
fn add_package_replaces_the_same_package_and_installs() {
    let project = root_project(
        "packages:\n  - git: https://github.com/acme/helpers.git\n    revision: 0.9.0\n  - local: vendor/other\n",
    );
    write_package(&project, "vendor/other", "other", None);
    let hub = hub_with_helpers_and_shim();
    let out = project.run_with_env(
        &["deps", "--add-package", "acme/helpers@>=1.0.0,<2.0.0"],
        &[("DBT_PACKAGE_HUB_URL", &hub.url)],
    );
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(
        read(&project, "packages.yml"),
        "packages:\n  - local: vendor/other\n  - package: acme/helpers\n    version:\n      - '>=1.0.0'\n      - <2.0.0\n"
    );
    assert!(
        installed(&project, "helpers")
            && installed(&project, "shim")
            && installed(&project, "other")
    );

    let usage = project.run(&["deps", "--add-package", "acme/helpers"]);
    assert_eq!(usage.code(), 2, "{usage:?}");
    assert!(
        usage.stderr().contains("needs a version for a hub package"),
        "{usage:?}"
    );
}

#[test]
fn packaged_fixture_installs_its_transitive_local_package_with_the_lock_dbt_writes() {
    let project = Project::from_fixture("packaged");
    project.write("profiles.yml", profiles_yml_duckdb("packaged"));
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    // Byte for byte what dbt-core 1.11's `dbt deps` writes for this project.
    assert_eq!(
        read(&project, "package-lock.yml"),
        "packages:\n  - local: vendor/helpers\n    name: helpers\n  - local: vendor/shim\n    name: shim\nsha1_hash: 3c025375c4a1c13bb154f3f0c74de3d2b66abe3d\n"
    );
    assert!(installed(&project, "helpers") && installed(&project, "shim"));
}

/// `dependencies.yml` may name other dbt projects under `projects:` (dbt Mesh): accepted, with a
/// warning that uxt resolves no cross-project `ref`; its `packages:` install.
#[test]
fn dependencies_yml_projects_are_warned_of_and_its_packages_install() {
    let project = root_project("");
    std::fs::remove_file(project.path().join("packages.yml")).ok();
    project.write(
        "dependencies.yml",
        "projects:\n  - name: finance\npackages:\n  - local: vendor/shim\n",
    );
    write_package(&project, "vendor/shim", "shim", None);
    let out = project.run(&["deps"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(installed(&project, "shim"), "{out:?}");
    assert!(
        out.stderr().contains(
            "`projects:` is accepted as dbt accepts it, but not used: uxt resolves no cross-project `ref`"
        ) && out.stderr().contains("dependencies.yml:1:"),
        "{out:?}"
    );
}
