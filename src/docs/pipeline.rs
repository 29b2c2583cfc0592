//! The pipeline page's data: the run history summarised (duration and status per run, the
//! slowest models, the tests that failed and when), with its charts drawn like a dashboard's.
//! Pure: runs in, JSON out.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::adapter::Cell;
use crate::artifacts::history::Run;
use crate::dashboard::render::{self, Plotted};
use crate::dashboard::spec::{Chart, ChartKind};
use crate::manifest::Manifest;

/// How many of the latest runs the slowest models are averaged over.
const RECENT: usize = 10;
const SLOWEST: usize = 15;
const FAILING: usize = 30;

/// The page's data; `None` values become empty lists.
pub fn summary(runs: &[Run], manifest: &Manifest) -> Json {
    let label = |index: usize| format!("#{}", index + 1);
    let mut durations = Vec::new();
    let mut statuses = Vec::new();
    let mut failing_per_run = Vec::new();
    let mut rows = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        let mut failing: BTreeMap<&str, i64> = BTreeMap::new();
        for (unique_id, status, _, _) in &run.results {
            *counts.entry(status.as_str()).or_default() += 1;
            if unique_id.starts_with("test.")
                && matches!(status.as_str(), "fail" | "warn" | "error")
            {
                *failing.entry(status.as_str()).or_default() += 1;
            }
        }
        let failed = counts.contains_key("error") || counts.contains_key("fail");
        let x = Cell::Text(label(index));
        durations.push(vec![
            x.clone(),
            Cell::Text(if failed { "failed" } else { "passed" }.to_string()),
            Cell::Float(run.elapsed_time),
        ]);
        for (status, count) in &counts {
            statuses.push(vec![
                x.clone(),
                Cell::Text((*status).to_string()),
                Cell::Int(*count),
            ]);
        }
        for (status, count) in &failing {
            failing_per_run.push(vec![
                x.clone(),
                Cell::Text((*status).to_string()),
                Cell::Int(*count),
            ]);
        }
        rows.push(json!({
            "label": label(index),
            "invocation_id": run.invocation_id,
            "command": run.command,
            "at": run.generated_at,
            "elapsed": run.elapsed_time,
            "failed": failed,
            "counts": counts,
        }));
    }
    let charts = [
        (
            "run_durations",
            "Duration of each run (seconds)",
            durations,
            "outcome",
            "seconds",
        ),
        (
            "run_statuses",
            "Nodes by status, each run",
            statuses,
            "status",
            "nodes",
        ),
        (
            "failing_tests",
            "Failing tests, each run",
            failing_per_run,
            "status",
            "tests",
        ),
    ]
    .into_iter()
    .map(|(name, title, rows, series, value)| {
        let chart = Chart::built_in(name, title, ChartKind::StackedBar);
        let plotted = Plotted {
            columns: vec!["run".to_string(), series.to_string(), value.to_string()],
            rows,
        };
        json!({
            "name": name,
            "title": title,
            "rows": plotted.rows.len(),
            "html": if plotted.rows.is_empty() { String::new() } else { render::render(&chart, &plotted) },
        })
    })
    .collect::<Vec<_>>();
    json!({
        "runs": rows,
        "charts": charts,
        "slowest": slowest(runs, manifest),
        "failing_tests": failing_tests(runs),
    })
}

/// Models, seeds and snapshots by their mean time over the latest runs that built them.
fn slowest(runs: &[Run], manifest: &Manifest) -> Vec<Json> {
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut last_status: BTreeMap<&str, &str> = BTreeMap::new();
    for run in runs.iter().rev().take(RECENT).rev() {
        for (unique_id, status, seconds, _) in &run.results {
            let built = ["model.", "seed.", "snapshot."]
                .iter()
                .any(|prefix| unique_id.starts_with(prefix));
            if built && status != "skipped" {
                times.entry(unique_id).or_default().push(*seconds);
                last_status.insert(unique_id, status);
            }
        }
    }
    let mut ranked: Vec<(&str, f64, f64, usize)> = times
        .iter()
        .map(|(id, seconds)| {
            let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
            (*id, mean, *seconds.last().unwrap_or(&0.0), seconds.len())
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(SLOWEST)
        .map(|(id, mean, last, count)| {
            json!({
                "id": id,
                "name": manifest.nodes.get(id).map_or(id, |n| n.name.as_str()),
                "mean": mean,
                "last": last,
                "runs": count,
                "status": last_status.get(id),
            })
        })
        .collect()
}

/// Tests that failed, warned or errored in any run, most often first.
fn failing_tests(runs: &[Run]) -> Vec<Json> {
    #[derive(Default)]
    struct Record<'a> {
        fail: usize,
        warn: usize,
        error: usize,
        last_bad: usize,
        last_status: &'a str,
        last_failures: Option<i64>,
    }
    let mut records: BTreeMap<&str, Record> = BTreeMap::new();
    for (index, run) in runs.iter().enumerate() {
        for (unique_id, status, _, failures) in &run.results {
            if !unique_id.starts_with("test.") {
                continue;
            }
            let bad = matches!(status.as_str(), "fail" | "warn" | "error");
            if !bad && !records.contains_key(unique_id.as_str()) {
                continue;
            }
            let record = records.entry(unique_id).or_default();
            match status.as_str() {
                "fail" => record.fail += 1,
                "warn" => record.warn += 1,
                "error" => record.error += 1,
                _ => {}
            }
            if bad {
                record.last_bad = index;
            }
            record.last_status = status;
            record.last_failures = *failures;
        }
    }
    let mut ranked: Vec<(&str, Record)> = records.into_iter().collect();
    ranked.sort_by(|a, b| {
        let bad = |r: &Record| r.fail + r.warn + r.error;
        bad(&b.1).cmp(&bad(&a.1)).then(a.0.cmp(b.0))
    });
    ranked
        .into_iter()
        .take(FAILING)
        .map(|(id, r)| {
            json!({
                "id": id,
                "fail": r.fail,
                "warn": r.warn,
                "error": r.error,
                "last_bad": format!("#{}", r.last_bad + 1),
                "last_status": r.last_status,
                "last_failures": r.last_failures,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, results: &[(&str, &str, f64, Option<i64>)]) -> Run {
        Run {
            invocation_id: id.to_string(),
            command: "build".to_string(),
            generated_at: "2026-01-01T00:00:00Z".to_string(),
            elapsed_time: 2.0,
            results: results
                .iter()
                .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, *d))
                .collect(),
        }
    }

    #[test]
    fn summarises_runs_models_and_tests() {
        let runs = [
            run(
                "a",
                &[
                    ("model.p.slow", "success", 3.0, None),
                    ("model.p.fast", "success", 0.5, None),
                    ("test.p.t", "fail", 0.1, Some(4)),
                ],
            ),
            run(
                "b",
                &[
                    ("model.p.slow", "success", 1.0, None),
                    ("test.p.t", "pass", 0.1, Some(0)),
                ],
            ),
        ];
        let summary = summary(&runs, &Manifest::default());
        assert_eq!(summary["runs"][0]["failed"], true);
        assert_eq!(
            summary["runs"][1]["counts"],
            json!({"pass": 1, "success": 1})
        );
        assert_eq!(summary["slowest"][0]["id"], "model.p.slow");
        assert_eq!(summary["slowest"][0]["mean"], 2.0);
        assert_eq!(summary["slowest"][1]["id"], "model.p.fast");
        assert_eq!(
            summary["failing_tests"],
            json!([{"id": "test.p.t", "fail": 1, "warn": 0, "error": 0, "last_bad": "#1", "last_status": "pass", "last_failures": 0}])
        );
        let charts = summary["charts"].as_array().unwrap();
        assert_eq!(charts[0]["rows"], 2);
        let html = charts[0]["html"].as_str().unwrap();
        assert_eq!(html.matches("class=\"mark\"").count(), 2, "{html}");
        assert_eq!(charts[2]["rows"], 1);
    }
}
