//! Property tests over arbitrary input, for a bounded time in CI: the YAML readers, properties
//! files, the selection grammar and `selectors.yml`, the CSV seed reader, and the whole loader
//! with dbt's Jinja context (project file, profile, models, macros). Whatever the input, each
//! returns a value or an error naming its file; none panics. A crash found here becomes a case
//! of `tests/corpus/`. `PROPTEST_CASES=5000 cargo test --lib fuzz` searches longer by hand.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Map, json};

use crate::graph::select::{SelectableNode, SelectionGraph, Selectors};
use crate::project::{SourceFile, properties, yaml};

/// Pieces of YAML that meet the parser's corners: indentation, flow collections, anchors,
/// tags, quotes, block scalars, documents, comments, odd bytes.
fn yaml_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("version: 2\n".to_string()),
        Just("models:\n".to_string()),
        Just("  - name: m\n".to_string()),
        Just("    columns:\n".to_string()),
        Just("      - name: c\n".to_string()),
        Just("        data_tests: [unique, not_null]\n".to_string()),
        Just("    description: |\n      text\n".to_string()),
        Just("    config: {materialized: table}\n".to_string()),
        Just("sources:\n  - name: s\n    tables:\n      - name: t\n".to_string()),
        Just("&a [1, *a]\n".to_string()),
        Just("*nothing\n".to_string()),
        Just("!!binary x\n".to_string()),
        Just("---\n".to_string()),
        Just("...\n".to_string()),
        Just("{ [ ( \" ' \n".to_string()),
        Just("\t".to_string()),
        Just("# comment\n".to_string()),
        Just("? complex\n: key\n".to_string()),
        Just("key: \"{{ doc('x') }}\"\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        "[ -~]{0,12}\n",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// Selection expressions from the grammar's tokens, glued in any order.
fn selection_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("+"),
        Just("@"),
        Just("2+"),
        Just("+3"),
        Just(","),
        Just(" "),
        Just("*"),
        Just("tag:"),
        Just("path:"),
        Just("config.materialized:"),
        Just("source:"),
        Just("package:"),
        Just("fqn:"),
        Just("state:modified"),
        Just("result:error"),
        Just("test_type:unit"),
        Just("resource_type:"),
        Just("a"),
        Just("b"),
        Just("models/x"),
        Just("."),
        Just("[["),
        Just("99999999999999999999"),
        Just("é"),
    ];
    prop::collection::vec(token, 0..12).prop_map(|tokens| tokens.concat())
}

fn node(name: &str, parents: &[&str]) -> SelectableNode {
    SelectableNode {
        unique_id: format!("model.p.{name}"),
        name: name.to_string(),
        resource_type: "model".to_string(),
        package_name: "p".to_string(),
        fqn: vec!["p".to_string(), name.to_string()],
        original_file_path: format!("models/{name}.sql"),
        tags: vec!["t".to_string()],
        config: json!({"materialized": "view"}),
        source_name: None,
        version: None,
        parents: parents
            .iter()
            .map(|parent| format!("model.p.{parent}"))
            .collect(),
    }
}

/// Jinja as models and macros hold it: dbt's calls, control flow and broken pieces of it.
fn jinja_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("select 1 as x\n".to_string()),
        Just("{{ ref('a') }}".to_string()),
        Just("{{ ref(".to_string()),
        Just("{{ source('raw', 'payments') }}".to_string()),
        Just("{{ config(materialized='table') }}".to_string()),
        Just("{{ config(materialized=5) }}".to_string()),
        Just("{{ var('batch') }}".to_string()),
        Just("{{ env_var('UXT_FUZZ_UNSET') }}".to_string()),
        Just("{% if execute %}".to_string()),
        Just("{% endif %}".to_string()),
        Just("{% for i in range(3) %}{{ i }}".to_string()),
        Just("{% endfor %}".to_string()),
        Just("{% set x = 1 %}".to_string()),
        Just("{{ x | upper }}".to_string()),
        Just("{{ adapter.quote('a') }}".to_string()),
        Just("{{ this }}".to_string()),
        Just("{{ fuzz_macro(1) }}".to_string()),
        Just("{{ return(1) }}".to_string()),
        Just("{{ exceptions.raise_compiler_error('no') }}".to_string()),
        Just("{# c #}".to_string()),
        Just("{%".to_string()),
        Just("}}".to_string()),
        Just("{{ 1 / 0 }}".to_string()),
        Just("{{ 'x' * 3 }}".to_string()),
        Just("{{ [1][9] }}".to_string()),
        Just("{{ none.x }}".to_string()),
        "[ -~]{0,10}",
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

/// A macro file: a definition that may recurse, be broken, or call what does not exist.
fn macro_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{% macro fuzz_macro(n) %}{{ n }}{% endmacro %}\n".to_string()),
        Just("{% macro fuzz_macro(n) %}{{ fuzz_macro(n + 1) }}{% endmacro %}\n".to_string()),
        Just("{% macro fuzz_macro(n) %}{{ return(n * 2) }}{% endmacro %}\n".to_string()),
        Just("{% macro fuzz_macro(n) %}{% if %}{% endmacro %}\n".to_string()),
        Just("{% macro fuzz_macro( %}\n".to_string()),
        jinja_text()
            .prop_map(|body| format!("{{% macro fuzz_macro(n) %}}{body}{{% endmacro %}}\n")),
    ]
}

const PROJECT_FILE: &str =
    "name: fuzz\nversion: '1'\nconfig-version: 2\nprofile: fuzz\nvars:\n  batch: 1\n";
const PROFILES: &str = "fuzz:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/dev.duckdb\n";

/// Loads and parses a project written to a temp dir, as `uxt parse` does, without a database.
/// Returns the diagnostics' files when it fails.
fn load_and_parse(files: &[(&str, &[u8])]) -> Result<(), Vec<Option<String>>> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    let files_of = |problems: Vec<crate::diagnostic::Diagnostic>| {
        problems
            .iter()
            .map(|problem| problem.file().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let project = crate::project::load(Some(dir.path()), None).map_err(files_of)?;
    let flags = crate::settings::Flags {
        command: "parse",
        project_dir: Some(dir.path().to_path_buf()),
        profiles_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let settings =
        crate::settings::Settings::resolve(&flags, &project).map_err(|error| match error {
            crate::diagnostic::Error::Diagnostics(problems) => files_of(problems),
            _ => vec![None],
        })?;
    // As in `uxt` (`cli::run`), Jinja renders on threads with the stack its macro recursion
    // needs: a macro calling itself to Jinja's limit overflows a test thread's 2 MiB.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(crate::jinja::RENDER_STACK_SIZE)
        .build()
        .expect("a thread pool");
    pool.install(|| crate::manifest::parse(&project, &settings))
        .map(|_| ())
        .map_err(files_of)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn yaml_readers_never_panic(text in yaml_text()) {
        let source: Arc<str> = Arc::from(text);
        let _ = yaml::parse("x.yml", &source);
        let _ = yaml::parse_located("x.yml", &source);
    }

    #[test]
    fn properties_files_are_read_or_refused_with_their_file(text in yaml_text()) {
        let file = SourceFile { path: "models/x.yml".to_string(), contents: Arc::from(text) };
        if let Err(problems) = properties::read(&[file], &[]) {
            prop_assert!(!problems.is_empty());
            for problem in problems {
                prop_assert_eq!(problem.file(), Some("models/x.yml"), "{}", problem);
            }
        }
    }

    #[test]
    fn selection_grammar_never_panics(select in selection_text(), exclude in selection_text()) {
        let graph = SelectionGraph::new(vec![node("a", &[]), node("b", &["a"]), node("c", &["b", "a"])]);
        let _ = graph.select(
            std::slice::from_ref(&select),
            std::slice::from_ref(&exclude),
            crate::graph::select::IndirectSelection::Eager,
        );
    }

    #[test]
    fn selectors_files_never_panic(text in yaml_text(), definition in selection_text()) {
        let _ = Selectors::parse(&text);
        let _ = Selectors::parse(&format!("selectors:\n  - name: s\n    definition: \"{}\"\n", definition.replace('"', "")));
    }

    #[test]
    fn csv_seeds_are_read_or_refused_with_a_line(bytes in prop::collection::vec(prop_oneof![
        Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'a'), Just(b'1'), Just(b'-'),
        Just(b'.'), Just(b' '), Just(0u8), Just(0xffu8), Just(0xc3u8), any::<u8>(),
    ], 0..200)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("seed.csv");
        std::fs::write(&path, &bytes).expect("write");
        let column_types = Map::new();
        if let Err(problem) = crate::exec::seed::inspect(Path::new(&path), b',', &column_types) {
            prop_assert!(!problem.message.is_empty());
        }
    }
}

proptest! {
    // Each case loads a project and builds a Jinja environment: fewer cases, same bound on time.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn projects_load_and_parse_or_fail_with_a_file(
        model in jinja_text(),
        macros in macro_text(),
        properties in yaml_text(),
    ) {
        let files: [(&str, &[u8]); 5] = [
            ("dbt_project.yml", PROJECT_FILE.as_bytes()),
            ("profiles.yml", PROFILES.as_bytes()),
            ("models/m.sql", model.as_bytes()),
            ("macros/fuzz.sql", macros.as_bytes()),
            ("models/m.yml", properties.as_bytes()),
        ];
        if let Err(files) = load_and_parse(&files) {
            for file in files {
                prop_assert!(file.is_some(), "an error without a file");
            }
        }
    }

    #[test]
    fn project_files_and_profiles_load_or_fail_with_a_file(
        project in yaml_text(),
        profiles in yaml_text(),
    ) {
        let project = format!("{PROJECT_FILE}{project}");
        let profiles = format!("{PROFILES}{profiles}");
        let files: [(&str, &[u8]); 3] = [
            ("dbt_project.yml", project.as_bytes()),
            ("profiles.yml", profiles.as_bytes()),
            ("models/m.sql", b"select 1 as x\n"),
        ];
        if let Err(files) = load_and_parse(&files) {
            for file in files {
                prop_assert!(file.is_some(), "an error without a file");
            }
        }
    }
}
