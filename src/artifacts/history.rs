//! The run history: `target/run_history.jsonl`, one line per `run`, `build`, `seed`, `snapshot`
//! or `test`, taken from its `run_results.json` (when it ran, how long, each node's status and
//! time, each test's failures). Appending keeps the last [`KEEP`] runs, so the file stays small;
//! the docs site's pipeline page reads it.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::diagnostic::WriteError;

pub const FILE: &str = "run_history.jsonl";

/// Runs kept in the history; older ones are dropped when a run is appended.
pub const KEEP: usize = 100;

/// One command's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub invocation_id: String,
    pub command: String,
    /// When `run_results.json` was written (RFC 3339).
    pub generated_at: String,
    pub elapsed_time: f64,
    /// `[unique_id, status, execution_time, failures]` per node, compact since runs of
    /// thousands of nodes are kept.
    pub results: Vec<(String, String, f64, Option<i64>)>,
}

impl Run {
    /// The run as `run_results.json` describes it.
    pub fn from_run_results(run_results: &Json) -> Run {
        let text = |value: &Json| value.as_str().unwrap_or_default().to_string();
        let metadata = &run_results["metadata"];
        Run {
            invocation_id: text(&metadata["invocation_id"]),
            command: text(&run_results["args"]["which"]),
            generated_at: text(&metadata["generated_at"]),
            elapsed_time: run_results["elapsed_time"].as_f64().unwrap_or(0.0),
            results: run_results["results"]
                .as_array()
                .map(|results| {
                    results
                        .iter()
                        .map(|r| {
                            (
                                text(&r["unique_id"]),
                                text(&r["status"]),
                                r["execution_time"].as_f64().unwrap_or(0.0),
                                r["failures"].as_i64(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Appends a run to the history in `target_dir`, dropping the oldest beyond [`KEEP`].
pub fn append(target_dir: &Path, run_results: &Json) -> anyhow::Result<()> {
    let path = target_dir.join(FILE);
    let context = || format!("while adding to the run history `{}`", path.display());
    let line = serde_json::to_string(&Run::from_run_results(run_results)).with_context(context)?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(context),
    };
    let kept = existing.lines().filter(|l| !l.trim().is_empty()).count();
    if kept < KEEP {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(WriteError::at(&path))?;
        writeln!(file, "{line}").map_err(WriteError::at(&path))?;
        return Ok(());
    }
    // Rewritten whole, through a temporary file, so a crash never leaves half a history.
    let mut text = String::with_capacity(existing.len());
    for old in existing
        .lines()
        .filter(|l| !l.trim().is_empty())
        .skip(kept + 1 - KEEP)
    {
        text.push_str(old);
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    super::write_atomically(&path, |out| out.write_all(text.as_bytes()))
        .map_err(WriteError::at(&path))?;
    Ok(())
}

/// The runs in the history, oldest first; lines that are not runs (a file edited by hand, or
/// written by another version) are left out and counted.
pub fn read(target_dir: &Path) -> anyhow::Result<(Vec<Run>, usize)> {
    let path = target_dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("while reading the run history `{}`", path.display()));
        }
    };
    let mut runs = Vec::new();
    let mut unreadable = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Run>(line) {
            Ok(run) => runs.push(run),
            Err(_) => unreadable += 1,
        }
    }
    Ok((runs, unreadable))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run_results(id: usize) -> Json {
        json!({
            "metadata": {"invocation_id": format!("run-{id}"), "generated_at": "2026-01-01T00:00:00Z"},
            "args": {"which": "build"},
            "elapsed_time": 1.5,
            "results": [
                {"unique_id": "model.p.a", "status": "success", "execution_time": 0.25, "failures": null},
                {"unique_id": "test.p.t", "status": "fail", "execution_time": 0.01, "failures": 3},
            ],
        })
    }

    #[test]
    fn appends_runs_and_keeps_the_last_hundred() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &run_results(0)).unwrap();
        let (runs, unreadable) = read(dir.path()).unwrap();
        assert_eq!(unreadable, 0);
        assert_eq!(
            runs,
            [Run {
                invocation_id: "run-0".into(),
                command: "build".into(),
                generated_at: "2026-01-01T00:00:00Z".into(),
                elapsed_time: 1.5,
                results: vec![
                    ("model.p.a".into(), "success".into(), 0.25, None),
                    ("test.p.t".into(), "fail".into(), 0.01, Some(3)),
                ],
            }]
        );
        for id in 1..=KEEP + 4 {
            append(dir.path(), &run_results(id)).unwrap();
        }
        let (runs, _) = read(dir.path()).unwrap();
        assert_eq!(runs.len(), KEEP);
        assert_eq!(runs[0].invocation_id, "run-5");
        assert_eq!(runs[KEEP - 1].invocation_id, format!("run-{}", KEEP + 4));
    }

    #[test]
    fn unreadable_lines_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "not json\n").unwrap();
        append(dir.path(), &run_results(1)).unwrap();
        let (runs, unreadable) = read(dir.path()).unwrap();
        assert_eq!((runs.len(), unreadable), (1, 1));
    }
}
