//! What every integration test needs to run the real `uxt` as a user would: a fixture project in
//! a temp dir, a throwaway PostgreSQL cluster, and profiles pointing at DuckDB or at that cluster.
//!
//! It knows nothing of uxt's internals: tests assert on what the binary does (exit code, output,
//! files, rows in the database), never on the crate's types.

mod postgres;
mod profiles;
mod project;

pub use postgres::{CERT_USER, PASSWORD, PASSWORD_USER, Postgres};
pub use profiles::{profiles_yml_duckdb, profiles_yml_postgres};
pub use project::{Output, Project};

use std::process::Command;

/// Variables of the developer's shell that would choose the profile, target, log format or
/// artifact folder instead of the test.
pub const ISOLATED_ENV: [&str; 14] = [
    "UXT_PROFILES_DIR",
    "UXT_TARGET",
    "DBT_PROFILES_DIR",
    "DBT_PROJECT_DIR",
    "DBT_LOG_FORMAT",
    "DBT_LOG_FORMAT_FILE",
    "DBT_LOG_LEVEL",
    "DBT_LOG_LEVEL_FILE",
    "DBT_LOG_PATH",
    "DBT_LOG_FILE_MAX_BYTES",
    "DBT_DEBUG",
    "DBT_TARGET_PATH",
    "DBT_INDIRECT_SELECTION",
    "DBT_PRINTER_WIDTH",
];

/// The `uxt` binary under test, isolated from the developer's shell: no colour codes in the
/// output to assert on, and none of [`ISOLATED_ENV`].
pub fn uxt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_uxt"));
    command.env("NO_COLOR", "1");
    for name in ISOLATED_ENV {
        command.env_remove(name);
    }
    command
}

/// Snapshots what uxt printed (`tests/it/snapshots/`), with what changes from run to run
/// replaced: the time of day of log lines, durations, the project's temp dir and the count of
/// macros.
macro_rules! assert_output_snapshot {
    ($text:expr) => {
        insta::with_settings!({filters => vec![
            (r"(?m)^\d{2}:\d{2}:\d{2}  ", "[time]  "),
            (r"\b\d+\.\d+s\b", "[duration]"),
            (r"(/[^\s/]+)*/uxt-project-[A-Za-z0-9]+", "[project]"),
            // How many macros uxt itself brings changes as it implements more of dbt's.
            (r"\b\d+ macros\b", "[n] macros"),
        ]}, {
            insta::assert_snapshot!($text);
        })
    };
}
pub(crate) use assert_output_snapshot;
