//! Every diagnostic code a user can trigger is asserted by a test: here, for the codes that no
//! other area's test reaches, one small scenario each; and a check over the registry
//! (`ERROR_CODES.md`) that each code's name appears in a test, or is listed below with the
//! reason no test can trigger it.

use std::path::Path;

use crate::engines::Engine;
use crate::harness::Project;

/// Codes no test triggers, and why.
const NOT_ASSERTED: &[(&str, &str)] = &[
    (
        "uxt::project::read",
        "a project file that exists but cannot be read: the tests run as root, who reads every file",
    ),
    (
        "uxt::deps::install",
        "a fetched package that cannot be moved into `dbt_packages/`: needs a failing filesystem",
    ),
    (
        "uxt::simulate::memory",
        "a town larger than the machine's memory: the test would need that much",
    ),
    (
        "uxt::simulate::warehouse",
        "the warehouse refusing the simulator's own statements: no user input reaches them",
    ),
];

/// A file of a scenario: its path in the project and its contents.
type File = (&'static str, &'static [u8]);

/// Writes `files` into the shop fixture on DuckDB, runs `args`, and expects `exit` and `code`.
fn triggers(code: &str, files: &[File], args: &[&str], exit: i32) {
    let project = Engine::DuckDb.project("shop", "shop");
    for (path, contents) in files {
        project.write(path, contents);
    }
    let output = project.run(args);
    assert_eq!(output.code(), exit, "{code}: {output:?}");
    // Diagnostics go to stderr, a node's error to the log on stdout.
    let all = format!("{}{}", output.stdout(), output.stderr());
    assert!(
        all.contains(code) && !all.contains("panicked"),
        "{code} not in the output: {output:?}"
    );
}

const LOCAL_PACKAGE: File = (
    "vendor/t/dbt_project.yml",
    b"name: t\nversion: \"1.0.0\"\nconfig-version: 2\n",
);

#[test]
fn each_code_without_a_test_elsewhere_is_triggered_by_its_input() {
    let cases: &[(&str, &[File], &[&str], i32)] = &[
        (
            "uxt::project::selectors",
            &[(
                "selectors.yml",
                b"selectors:\n  - name: x\n    definition: \"{{ env_var('UXT_TEST_NEVER_SET') }}\"\n",
            )],
            &["ls", "--selector", "x"],
            1,
        ),
        (
            "uxt::parse::seed_dependency",
            &[
                ("seeds/lookup.csv", b"id\n1\n"),
                (
                    "models/lookup.yml",
                    b"seeds:\n  - name: lookup\n    config:\n      post_hook: \"select * from {{ ref('customers') }}\"\n",
                ),
            ],
            &["parse"],
            1,
        ),
        (
            "uxt::jinja::query",
            &[(
                "models/asks.sql",
                b"{% if execute %}{% set rows = run_query('select * from no_such_table') %}{% endif %}\nselect 1 as x\n",
            )],
            &["run", "--select", "asks"],
            1,
        ),
        (
            "uxt::parse::duplicate_name",
            &[
                ("models/a/twin.sql", b"select 1 as x\n"),
                ("models/b/twin.sql", b"select 2 as x\n"),
            ],
            &["parse"],
            1,
        ),
        (
            "uxt::parse::yaml_jinja",
            &[(
                "models/s.yml",
                b"sources:\n  - name: s\n    schema: \"{{ env_var('UXT_TEST_NEVER_SET') }}\"\n    tables:\n      - name: t\n",
            )],
            &["parse"],
            1,
        ),
        (
            "uxt::parse::unsupported",
            &[(
                "models/e.yml",
                b"exposures:\n  - name: e\n    type: dashboard\n    owner: {name: a}\n    depends_on:\n      - metric('m')\n",
            )],
            &["parse"],
            1,
        ),
        (
            "uxt::parse::deprecated",
            &[(
                "models/d.yml",
                b"models:\n  - name: customers\n    deprecation_date: 2020-01-01\n",
            )],
            &["parse"],
            0,
        ),
        (
            "uxt::parse::access",
            &[(
                "models/g.yml",
                b"groups:\n  - name: g\n    owner: {name: a}\nmodels:\n  - name: stg_customers\n    group: g\n    access: private\n",
            )],
            &["parse"],
            1,
        ),
        (
            "uxt::properties::versions",
            &[(
                "models/v.yml",
                b"models:\n  - name: customers\n    versions:\n      - v: 1\n      - v: 1\n",
            )],
            &["parse"],
            1,
        ),
        (
            "uxt::state::no_manifest",
            &[("prod/run_results.json", b"{}")],
            &["ls", "--select", "state:modified", "--state", "prod"],
            1,
        ),
        (
            "uxt::state::unreadable",
            &[("prod/manifest.json/stray", b"")],
            &["ls", "--select", "state:modified", "--state", "prod"],
            1,
        ),
        (
            "uxt::state::invalid",
            &[("prod/manifest.json", b"not json")],
            &["ls", "--select", "state:modified", "--state", "prod"],
            1,
        ),
        (
            "uxt::exec::unknown_materialization",
            &[(
                "models/m.sql",
                b"{{ config(materialized='nope') }}\nselect 1 as x\n",
            )],
            &["run", "--select", "m"],
            1,
        ),
        (
            "uxt::deps::duplicate_name",
            &[
                (
                    "vendor/s/dbt_project.yml",
                    b"name: shop\nversion: \"1.0.0\"\nconfig-version: 2\n",
                ),
                ("packages.yml", b"packages:\n  - local: vendor/s\n"),
            ],
            &["deps"],
            1,
        ),
        (
            "uxt::deps::invalid",
            &[("packages.yml", b"packages:\n  - foo: bar\n")],
            &["deps"],
            1,
        ),
        (
            "uxt::deps::read",
            &[("packages.yml", b"packages:\n  - local: v\xff\n")],
            &["deps"],
            1,
        ),
        (
            "uxt::deps::lock",
            &[
                LOCAL_PACKAGE,
                ("packages.yml", b"packages:\n  - local: vendor/t\n"),
                ("package-lock.yml", b"packages:\n  - local: vendor/t\n"),
            ],
            &["deps"],
            1,
        ),
        (
            "uxt::seed::column_types",
            &[
                ("seeds/plans.csv", b"id,price\n1,2.5\n"),
                (
                    "seeds/plans.yml",
                    b"seeds:\n  - name: plans\n    config:\n      column_types: {prize: numeric}\n",
                ),
            ],
            &["seed"],
            0,
        ),
        (
            "uxt::properties::wrong_section",
            &[
                ("seeds/plans.csv", b"id,price\n1,2.5\n"),
                (
                    "seeds/plans.yml",
                    b"models:\n  - name: plans\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
                ),
            ],
            &["parse"],
            0,
        ),
        (
            "uxt::chart::undeclared_dependency",
            &[(
                "models/dash.yml",
                b"exposures:\n  - name: dash\n    type: dashboard\n    owner: {name: x}\n    depends_on: [\"ref('customers')\"]\n    meta:\n      charts:\n        - name: a\n          type: bar\n          model: stg_customers\n          x: customer_id\n          y: customer_id\n",
            )],
            &["parse"],
            0,
        ),
    ];
    for (code, files, args, exit) in cases {
        triggers(code, files, args, *exit);
    }
}

#[test]
fn a_missing_project_and_an_unreadable_profile_have_their_codes() {
    let empty = Project::empty();
    let output = empty.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::project::not_found"),
        "{output:?}"
    );

    let project = Engine::DuckDb.project("shop", "shop");
    let profiles = project.path().join("profiles.yml");
    std::fs::remove_file(&profiles).unwrap();
    std::fs::create_dir(&profiles).unwrap();
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::profile::unreadable"),
        "{output:?}"
    );
}

#[test]
fn a_seed_value_that_outgrew_its_column_is_a_load_error() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write("seeds/prices.csv", "id,price\n1,2010-01-01\n");
    assert_eq!(project.run(&["seed"]).code(), 0);
    project.write("seeds/prices.csv", "id,price\n1,on request\n");
    let output = project.run(&["seed"]);
    assert_eq!(output.code(), 1, "{output:?}");
    let all = format!("{}{}", output.stdout(), output.stderr());
    assert!(
        all.contains("uxt::seed::load") && all.contains("--full-refresh"),
        "{output:?}"
    );
}

/// Every file under `dir` with one of `extensions`, as text.
fn texts(dir: &Path, extensions: &[&str]) -> String {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| {
            !entry
                .path()
                .components()
                .any(|c| c.as_os_str() == "node_modules")
                && entry
                    .path()
                    .extension()
                    .is_some_and(|ext| extensions.iter().any(|e| ext == *e))
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}

#[test]
fn every_code_in_the_registry_is_asserted_by_a_test_or_said_why_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registry = std::fs::read_to_string(root.join("ERROR_CODES.md")).unwrap();
    let codes: Vec<&str> = registry
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|code| code.starts_with("uxt::"))
        .collect();
    assert!(codes.len() > 50, "read {} codes", codes.len());
    let tests = texts(&root.join("tests"), &["rs", "txt", "snap"]);
    let untested: Vec<&str> = codes
        .iter()
        .copied()
        .filter(|code| {
            let reasoned = NOT_ASSERTED.iter().any(|(listed, _)| listed == code);
            // Anywhere, as a whole name: not `uxt::seed::load` in `uxt::seed::loader`.
            let asserted = tests.match_indices(code).any(|(at, _)| {
                !tests[at + code.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            !asserted && !reasoned
        })
        .collect();
    assert!(
        untested.is_empty(),
        "codes no test asserts (add a test, or say why in NOT_ASSERTED): {untested:?}"
    );
    for (code, _) in NOT_ASSERTED {
        assert!(codes.contains(code), "`{code}` is not in the registry");
    }
}
