//! `uxt docs generate` and `uxt docs serve`: `catalog.json`, `lineage.json`, the site's files,
//! the server, and the site in a real headless browser.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::engines::Engine;
use crate::example::example_project;
use crate::harness::{Project, uxt};

fn read(project: &Project, name: &str) -> Value {
    let path = project.path().join("target").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read `{}`: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("`{name}` is not JSON: {error}"))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|map| map.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn docs_generate_writes_catalog_lineage_and_the_site() {
    for engine in Engine::all() {
        let project = engine.project("docs", "docs_shop");
        let build = project.run(&["build"]);
        assert_eq!(build.code(), 0, "{}: {build:?}", engine.name());
        // `asset-paths` folders are copied beside the site; a stale copy is replaced.
        let config = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
        project
            .write(
                "dbt_project.yml",
                format!("{config}\nasset-paths: [assets]\n"),
            )
            .write("assets/img/logo.svg", "<svg/>")
            .write("target/assets/stale.txt", "old");
        let output = project.run_with_env(
            &["docs", "generate"],
            &[("DBT_ENV_CUSTOM_ENV_team", "data")],
        );
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        assert!(
            output.stdout().contains("Catalog written to")
                && output.stdout().contains("Docs site written to"),
            "{output:?}"
        );

        let catalog = read(&project, "catalog.json");
        assert_eq!(
            catalog["metadata"]["dbt_schema_version"],
            "https://schemas.getdbt.com/dbt/catalog/v1.json"
        );
        assert_eq!(catalog["errors"], Value::Null);
        assert_eq!(catalog["metadata"]["env"], json!({"team": "data"}));
        let assets = project.path().join("target/assets");
        assert!(assets.join("img/logo.svg").is_file() && !assets.join("stale.txt").exists());
        assert_eq!(
            keys(&catalog["nodes"]),
            [
                "model.docs_shop.customer_revenue",
                "model.docs_shop.numbers",
                "model.docs_shop.stg_customers",
                "model.docs_shop.stg_orders",
                "model.docs_shop.stg_payments",
                "seed.docs_shop.raw_customers",
                "seed.docs_shop.raw_orders",
            ],
            "{}",
            engine.name()
        );
        let revenue = &catalog["nodes"]["model.docs_shop.customer_revenue"];
        assert_eq!(revenue["metadata"]["type"], "BASE TABLE");
        assert_eq!(revenue["metadata"]["name"], "customer_revenue");
        assert_eq!(revenue["unique_id"], "model.docs_shop.customer_revenue");
        assert_eq!(
            keys(&revenue["columns"]),
            [
                "customer_id",
                "full_name",
                "revenue",
                "revenue_rank",
                "segment"
            ]
        );
        assert_eq!(revenue["columns"]["full_name"]["index"], 2);
        assert!(
            revenue["columns"]["full_name"]["type"]
                .as_str()
                .is_some_and(|t| t.to_lowercase().contains("char") || t == "text"),
            "{}: {}",
            engine.name(),
            revenue["columns"]["full_name"]
        );
        // dbt-duckdb's and dbt-postgres's catalogs: no statistics.
        assert_eq!(revenue["stats"]["has_stats"]["value"], false);
        assert!(revenue["stats"].get("row_count").is_none());
        assert_eq!(
            catalog["nodes"]["model.docs_shop.stg_orders"]["metadata"]["type"],
            "VIEW"
        );
        assert_eq!(
            keys(&catalog["sources"]["source.docs_shop.raw.payments"]["columns"]),
            ["payment_id", "order_id", "amount"]
        );

        let lineage = read(&project, "lineage.json");
        let columns = &lineage["nodes"]["model.docs_shop.customer_revenue"]["columns"];
        assert_eq!(
            columns["full_name"],
            json!([{"relation": "model.docs_shop.stg_customers", "column": "full_name"}])
        );
        assert_eq!(
            columns["revenue"],
            json!([{"relation": "model.docs_shop.stg_orders", "column": "amount"}])
        );
        assert_eq!(
            lineage["nodes"]["model.docs_shop.stg_customers"]["columns"]["full_name"],
            json!([
                {"relation": "seed.docs_shop.raw_customers", "column": "first_name"},
                {"relation": "seed.docs_shop.raw_customers", "column": "last_name"}
            ])
        );
        // `select *` from a source, expanded from the catalog's columns.
        assert_eq!(
            lineage["nodes"]["model.docs_shop.stg_payments"]["columns"]["amount"],
            json!([{"relation": "source.docs_shop.raw.payments", "column": "amount"}])
        );
        assert!(
            lineage["nodes"]["model.docs_shop.numbers"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("generate_series")),
            "{}",
            lineage["nodes"]["model.docs_shop.numbers"]
        );

        let target = project.path().join("target");
        for file in [
            "index.html",
            "uxt-docs.js",
            "uxt-docs.css",
            "uxt-docs-data.js",
        ] {
            assert!(target.join(file).is_file(), "`{file}` was not written");
        }
        assert!(
            !target.join("static_index.html").exists(),
            "static_index.html is written only with --static"
        );
    }
}

#[test]
fn docs_generate_select_limits_the_catalog() {
    let project = Engine::DuckDb.project("docs", "docs_shop");
    assert_eq!(project.run(&["build"]).code(), 0);
    let output = project.run(&["docs", "generate", "--select", "stg_orders"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let catalog = read(&project, "catalog.json");
    assert_eq!(keys(&catalog["nodes"]), ["model.docs_shop.stg_orders"]);
    assert_eq!(keys(&catalog["sources"]), Vec::<&str>::new());
    // The site still shows every node.
    let data = std::fs::read_to_string(project.path().join("target/uxt-docs-data.js")).unwrap();
    assert!(data.contains("model.docs_shop.customer_revenue"));
}

#[test]
fn docs_generate_without_compile_or_catalog_never_connects() {
    let project = Project::from_fixture("docs");
    // Nothing listens on port 1: any connection attempt would fail the command.
    project.write(
        "profiles.yml",
        "docs_shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n      port: 1\n      user: nobody\n      password: ''\n      dbname: nowhere\n      schema: public\n",
    );
    let output = project.run(&["docs", "generate", "--no-compile", "--empty-catalog"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let catalog = read(&project, "catalog.json");
    assert_eq!(catalog["nodes"], json!({}));
    let lineage = read(&project, "lineage.json");
    assert!(
        lineage["nodes"]["model.docs_shop.stg_orders"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not compiled")),
        "{lineage}"
    );
    assert!(project.path().join("target/index.html").is_file());
}

#[test]
fn static_site_is_one_file_with_descriptions_escaped() {
    let project = Engine::DuckDb.project("docs", "docs_shop");
    let output = project.run(&["docs", "generate", "--static", "--empty-catalog"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(output.stdout().contains("static_index.html"), "{output:?}");
    let html = std::fs::read_to_string(project.path().join("target/static_index.html")).unwrap();
    for external in [
        "src=",
        "href=\"uxt-docs",
        "href=\"http",
        "rel=\"stylesheet",
        "url(",
    ] {
        assert!(
            !html.contains(external),
            "the single file refers to another file: `{external}`"
        );
    }
    assert!(!html.contains("<script>window.__uxt_pwned"));
    assert!(
        html.contains("\\u003cp>Revenue per customer. &amp;lt;script&amp;gt;window.__uxt_pwned")
            || html.contains("Revenue per customer. &lt;script&gt;window.__uxt_pwned"),
        "the description is not in the page as escaped text"
    );
    assert_eq!(html.matches("<script>").count(), 2, "data and code, inline");
}

/// `uxt docs serve --port 0` in the background, and the address it printed.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(project_dir: &Path) -> Served {
        let mut child = uxt()
            .args(["docs", "serve", "--port", "0", "--project-dir"])
            .arg(project_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("uxt starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("uxt docs serve printed its address before ending")
                .expect("stdout is text");
            if let Some(at) = line.find("http://") {
                break line[at..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        Served { child, url }
    }

    /// Status code and body of a GET of `path`.
    fn get(&self, path: &str) -> (u16, String) {
        let authority = self.url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = TcpStream::connect(authority).expect("the server accepts connections");
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_string();
        (status, body)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn docs_serve_serves_the_site_and_nothing_outside_it() {
    let project = Engine::DuckDb.project("docs", "docs_shop");
    let missing = project.run(&["docs", "serve", "--port", "0"]);
    assert_eq!(missing.code(), 2, "{missing:?}");
    assert!(
        missing.stderr().contains("run `uxt docs generate` first"),
        "{missing:?}"
    );

    let output = project.run(&["docs", "generate", "--empty-catalog"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let served = Served::start(project.path());
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    let (status, body) = served.get("/");
    assert_eq!(status, 200);
    assert!(
        body.contains("<script src=\"uxt-docs.js\"></script>"),
        "{body}"
    );
    assert_eq!(served.get("/uxt-docs-data.js").0, 200);
    assert_eq!(served.get("/catalog.json").0, 200);
    assert_eq!(served.get("/../dbt_project.yml").0, 404);
    assert_eq!(served.get("/nope.html").0, 404);
}

/// Debian's Chromium and the test script's node packages (installed by `scripts/test`), or why
/// they are missing. Under `CI=true` missing ones fail the test: CI must not pass by skipping.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from(
        std::env::var("UXT_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let missing = if !chromium.is_file() {
        Some(format!(
            "no Chromium at `{}` (apt-get install chromium)",
            chromium.display()
        ))
    } else if !package.join("node_modules/playwright-core").is_dir() {
        Some(format!(
            "no node packages in `{}` (run `npm ci` there)",
            package.display()
        ))
    } else {
        None
    };
    match missing {
        None => Some((chromium, package)),
        Some(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and {why}"
            );
            skip(&why);
            None
        }
    }
}

#[allow(
    clippy::print_stderr,
    reason = "the skip line and the artifacts' paths are the test's own output"
)]
fn skip(why: &str) {
    eprintln!("skipped: {why}");
}

#[allow(
    clippy::print_stderr,
    reason = "where the screenshots are is the test's own output"
)]
fn report(what: &str) {
    eprintln!("{what}");
}

#[test]
fn docs_site_works_in_a_headless_browser() {
    let Some((chromium, package)) = browser_tools() else {
        return;
    };
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-browser");
    std::fs::create_dir_all(&artifacts).unwrap();

    let example = example_project(&Engine::DuckDb);
    // A month, so that every part of the town has something on its dashboard (outages too).
    let simulated = example.run(&["simulate", "--days", "30"]);
    assert_eq!(simulated.code(), 0, "{simulated:?}");
    let build = example.run(&["build"]);
    assert_eq!(build.code(), 0, "{build:?}");
    let generate = example.run(&["docs", "generate"]);
    assert_eq!(generate.code(), 0, "{generate:?}");
    let served = Served::start(example.path());
    // The graph page's selection box must pick what `uxt ls` picks.
    let (select, exclude) = ("+fct_district_days tag:reference", "path:seeds");
    let listed = example.run(&[
        "ls",
        "--select",
        select,
        "--exclude",
        exclude,
        "--output",
        "json",
        "--quiet",
    ]);
    assert_eq!(listed.code(), 0, "{listed:?}");
    let listed = listed
        .stdout()
        .lines()
        .filter(|line| line.starts_with('{'))
        .count();
    assert!(listed > 2, "{listed} nodes listed");

    let fixture = Engine::DuckDb.project("docs", "docs_shop");
    assert_eq!(fixture.run(&["build"]).code(), 0);
    let generate = fixture.run(&["docs", "generate", "--static"]);
    assert_eq!(generate.code(), 0, "{generate:?}");
    let static_page = fixture.path().join("target/static_index.html");

    // The dashboards fixture's problem charts (a missing column, an empty model, a timeout).
    let shop = Engine::DuckDb.project("dashboards", "dash_shop");
    assert_eq!(shop.run(&["build"]).code(), 0);
    let generate = shop.run(&["docs", "generate", "--static"]);
    assert_eq!(generate.code(), 0, "{generate:?}");

    let example_dashboards = dashboards_plan(&example.path().join("project/target"));
    let drawn: Vec<&str> = example_dashboards
        .iter()
        .flat_map(|d| d["charts"].as_array().unwrap())
        .filter(|c| c["status"] != "ok")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        drawn.is_empty(),
        "example charts that drew nothing: {drawn:?}"
    );
    assert!(example_dashboards.len() >= 6, "{example_dashboards:?}");

    let profile = tempfile::tempdir().unwrap();
    let plan = json!({
        "chromium": chromium,
        "profile_dir": profile.path(),
        "sites": [
            {
                "name": "example",
                "url": served.url,
                "search": "fct_district_days",
                "columns": ["district_id", "zone", "day_serial"],
                "lineage_column": "zone",
                "screenshot": artifacts.join("example.png"),
                "dashboards": example_dashboards,
                "runs": 1,
                "selection_box": {"select": select, "exclude": exclude, "selected": listed},
                "screenshots_dir": artifacts,
            },
            {
                "name": "fixture",
                "url": format!("file://{}", static_page.display()),
                "search": "customer_revenue",
                "columns": ["customer_id", "full_name", "revenue"],
                "lineage_column": "revenue",
                "text": ["<script>window.__uxt_pwned = 1</script>", "<b>not bold</b>"],
                "selection_cases": {
                    "fixture": Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/selection/fixture.json"),
                    "cases": Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/selection/cases.txt"),
                },
                "screenshot": artifacts.join("fixture-static.png"),
            },
            {
                "name": "dashboards",
                "url": format!("file://{}", shop.path().join("target/static_index.html").display()),
                "search": "daily_sales",
                "dashboards": dashboards_plan(&shop.path().join("target")),
                "timings_only": true,
            },
        ],
    });
    let output = Command::new("node")
        .arg(package.join("docs.mjs"))
        .arg(plan.to_string())
        .current_dir(&package)
        .stdin(Stdio::null())
        .output()
        .expect("node can be started");
    assert!(
        output.status.success(),
        "the browser check failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    report(&format!(
        "browser timings: {}screenshots: {}",
        String::from_utf8_lossy(&output.stdout),
        artifacts.display()
    ));
    assert!(artifacts.join("example.png").is_file());
    assert!(artifacts.join("dashboard-factory_output.png").is_file());
}

/// What the browser must find on each dashboard: every chart, and as many marks as rows.
fn dashboards_plan(target: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(target.join("dashboards.json")).unwrap();
    let dashboards: Value = serde_json::from_str(&text).unwrap();
    dashboards["dashboards"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, dashboard)| {
            let charts: Vec<Value> = dashboard["charts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|chart| {
                    json!({
                        "name": chart["name"],
                        "status": chart["status"],
                        "rows": chart["rows"].as_array().unwrap().len(),
                    })
                })
                .collect();
            json!({"id": id, "charts": charts})
        })
        .collect()
}
