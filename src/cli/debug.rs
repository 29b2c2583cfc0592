//! `uxt debug`: the project, profile and target in use, and a connection check. Secrets masked.

use super::Outcome;
use crate::adapter;
use crate::diagnostic::Result;
use crate::project::profile::TargetKind;
use crate::settings::{Flags, Settings};
use crate::{project, ui};

pub async fn run(flags: &Flags) -> Result<Outcome> {
    ui::info(&format!("uxt version: {}", env!("CARGO_PKG_VERSION")));
    let project = project::read_project_file(flags.project_dir())?;
    ui::info(&format!(
        "project: {} ({})",
        project.name,
        project.root.join(&project.project_file.path).display()
    ));
    let target = Settings::resolve(flags, &project)?.target;
    ui::info(&format!(
        "profile: {}  target: {}  threads: {}",
        target.profile_name, target.name, target.threads
    ));
    match &target.kind {
        TargetKind::DuckDb(duck) => ui::info(&format!(
            "  type: duckdb\n  path: {}\n  schema: {}",
            duck.path.display(),
            target.schema
        )),
        TargetKind::Postgres(pg) => ui::info(&format!(
            "  type: postgres\n  host: {}\n  port: {}\n  user: {}\n  password: {}\n  dbname: {}\n  schema: {}",
            pg.host,
            pg.port,
            pg.user,
            if pg.password.is_empty() {
                "(none)"
            } else {
                "****"
            },
            pg.dbname,
            target.schema
        )),
    }
    match adapter::connect(&target, &project.root).await {
        Ok(connection) => match connection.query("select 1").await {
            Ok(_) => {
                ui::info("  Connection test: [OK connection ok]");
                ui::info("All checks passed!");
                Ok(Outcome::Success)
            }
            Err(error) => {
                ui::error(&format!("  Connection test: [ERROR] {error}"));
                Ok(Outcome::Failed)
            }
        },
        Err(error) => {
            ui::error(&format!("  Connection test: [ERROR] {error}"));
            Ok(Outcome::Failed)
        }
    }
}
