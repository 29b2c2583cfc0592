//! The corpus of bad input (`tests/corpus/`): every case on every engine, with the exit code,
//! the diagnostic code and the file and line that `tests/corpus/expected.txt` gives it. Whatever
//! the case, uxt never panics or aborts, and an error always carries a code.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::engines::Engine;
use crate::harness::{Output, Project};

/// One line of `expected.txt`.
struct Case {
    /// Relative to `tests/corpus/`, such as `properties/columns_scalar.yml`.
    path: String,
    /// The exit code, the same on every engine (`1`) or per engine (`duckdb=0,postgres=1`).
    exit: String,
    /// A diagnostic code that must appear in the output (an error's or a warning's), or none;
    /// `accepted` when no code may appear (the input is fine, as dbt finds it).
    code: Option<String>,
    /// `file` or `file:line` that must appear in the output, or none.
    location: Option<String>,
    /// Words of the message that must appear in the output (the rest of the line), or none.
    text: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn cases() -> Vec<Case> {
    let table = std::fs::read_to_string(corpus_dir().join("expected.txt")).unwrap();
    let optional = |field: &str| (field != "-").then(|| field.to_string());
    table
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(
                fields.len() >= 4,
                "expected.txt: `{line}` needs at least 4 fields"
            );
            Case {
                path: fields[0].to_string(),
                exit: fields[1].to_string(),
                code: optional(fields[2]),
                location: optional(fields[3]),
                text: (fields.len() > 4).then(|| fields[4..].join(" ")),
            }
        })
        .collect()
}

/// Where the case's file goes in the project and the command it is checked with, by the
/// directory it is in; `None` for `cli/`, whose file is the argument list.
fn placement(path: &str) -> Option<(&'static str, &'static [&'static str])> {
    let kind = path.split('/').next().unwrap();
    match kind {
        "properties" => Some(("models/corpus.yml", &["parse"])),
        "models" => Some(("models/corpus.sql", &["compile", "--select", "corpus"])),
        "macros" => Some(("macros/corpus.sql", &["parse"])),
        "seeds" => Some(("seeds/corpus.csv", &["seed"])),
        "profiles" => Some(("profiles.yml", &["parse"])),
        "project" => Some(("dbt_project.yml", &["parse"])),
        "selectors" => Some(("selectors.yml", &["ls", "--selector", "corpus"])),
        "cli" => None,
        other => panic!("tests/corpus/{other}/ is not a kind of case the test knows"),
    }
}

/// Runs one case on a fresh copy of the shop fixture pointed at `profile`.
/// On Postgres each case has a schema of its own (`index`), as a worker's cases share a database.
fn run(case: &Case, index: usize, profile: &str) -> Output {
    let contents = std::fs::read(corpus_dir().join(&case.path)).unwrap();
    let project = Project::from_fixture("shop");
    project.write(
        "profiles.yml",
        profile.replace("schema: public", &format!("schema: corpus_{index}")),
    );
    match placement(&case.path) {
        Some((file, args)) => {
            project.write(file, &contents);
            project.run(args)
        }
        None => {
            let text = String::from_utf8(contents).unwrap();
            let args: Vec<&str> = text.lines().collect();
            project.run(&args)
        }
    }
}

/// What is wrong with an outcome, if anything.
impl Case {
    fn exit_on(&self, engine: &Engine) -> i32 {
        let exit = self
            .exit
            .split(',')
            .find_map(|part| match part.split_once('=') {
                Some((name, code)) => (name == engine.name()).then_some(code),
                None => Some(part),
            })
            .unwrap_or_else(|| panic!("{}: no exit code for {}", self.path, engine.name()));
        exit.parse()
            .unwrap_or_else(|_| panic!("{}: exit `{exit}` is not a number", self.path))
    }
}

fn problem(case: &Case, engine: &Engine, output: &Output) -> Option<String> {
    let Some(code) = output.status_code() else {
        return Some("killed by a signal".to_string());
    };
    // Diagnostics go to stderr, a node's error to the log on stdout, as dbt prints it.
    let stderr = format!("{}{}", output.stdout(), output.stderr());
    if matches!(code, 101 | 134) || stderr.contains("panicked") {
        return Some(format!("aborted with {code}"));
    }
    let expected = case.exit_on(engine);
    if code != expected {
        return Some(format!("exit {code}, not {expected}"));
    }
    if code == 1 && !stderr.contains("uxt::") {
        return Some("an error without a diagnostic code".to_string());
    }
    if case.code.as_deref() == Some("accepted") {
        if let Some(at) = stderr.find("uxt::") {
            let code: String = stderr[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            return Some(format!(
                "`{code}` for an input that is accepted as dbt accepts it"
            ));
        }
    } else if let Some(expected) = &case.code
        && !stderr.contains(expected.as_str())
    {
        return Some(format!("no `{expected}` in the output"));
    }
    if let Some(location) = &case.location
        && !stderr.contains(location.as_str())
    {
        return Some(format!("no `{location}` in the output"));
    }
    if let Some(text) = &case.text
        && !stderr.contains(text.as_str())
    {
        return Some(format!("no `{text}` in the output"));
    }
    None
}

#[test]
fn every_bad_input_of_the_corpus_is_a_diagnostic_on_every_engine() {
    let cases = cases();
    assert!(cases.len() >= 300, "the corpus has {} cases", cases.len());
    let listed: std::collections::BTreeSet<&str> =
        cases.iter().map(|case| case.path.as_str()).collect();
    for entry in walkdir::WalkDir::new(corpus_dir()).min_depth(2) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(corpus_dir()).unwrap();
            let relative = relative.to_string_lossy();
            assert!(
                listed.contains(relative.as_ref()),
                "tests/corpus/{relative} has no line in expected.txt"
            );
        }
    }
    for engine in &Engine::all() {
        // Postgres: a database per worker, so that cases of one worker follow one another.
        let workers = 3;
        let next = Mutex::new(0usize);
        let failures = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    let profile = engine.profiles_yml("shop", "corpus");
                    loop {
                        let index = {
                            let mut next = next.lock().unwrap();
                            *next += 1;
                            *next - 1
                        };
                        let Some(case) = cases.get(index) else { break };
                        let output = run(case, index, &profile);
                        if let Some(problem) = problem(case, engine, &output) {
                            failures.lock().unwrap().push(format!(
                                "{} on {}: {problem}\n{output:?}",
                                case.path,
                                engine.name()
                            ));
                        }
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap();
        assert!(
            failures.is_empty(),
            "{} of {} cases failed on {}:\n\n{}",
            failures.len(),
            cases.len(),
            engine.name(),
            failures.join("\n\n")
        );
    }
}
