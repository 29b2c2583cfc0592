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

/// The `uxt` binary under test, isolated from the developer's shell: no colour codes in the
/// output to assert on, and no profile or target chosen by the environment instead of the test.
pub fn uxt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_uxt"));
    command
        .env("NO_COLOR", "1")
        .env_remove("UXT_PROFILES_DIR")
        .env_remove("UXT_TARGET")
        .env_remove("DBT_PROFILES_DIR")
        .env_remove("DBT_PROJECT_DIR");
    command
}
