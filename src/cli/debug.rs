//! `uxt debug`: the project, profile and target in use, and a connection check. Secrets masked.

use super::Outcome;
use crate::adapter;
use crate::diagnostic::Result;
use crate::project::profile::{RootCert, TargetKind};
use crate::settings::{Flags, Settings};
use crate::ui;

pub async fn run(flags: &Flags) -> Result<Outcome> {
    ui::info(&format!("uxt version: {}", env!("CARGO_PKG_VERSION")));
    let project = super::read_project_file(flags)?;
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
        TargetKind::Postgres(pg) => {
            let mut lines = vec![
                "  type: postgres".to_string(),
                format!("  host: {}", pg.host),
                format!("  port: {}", pg.port),
                format!("  user: {}", pg.user),
                format!(
                    "  password: {}",
                    if pg.password.is_empty() {
                        "(none)"
                    } else {
                        "****"
                    }
                ),
                format!("  dbname: {}", pg.dbname),
                format!("  schema: {}", target.schema),
                format!("  sslmode: {}", pg.sslmode.name()),
            ];
            let optional = [
                (
                    "sslrootcert",
                    pg.sslrootcert.as_ref().map(|root| match root {
                        RootCert::File(path) => path.display().to_string(),
                        RootCert::System => "system".to_string(),
                    }),
                ),
                (
                    "sslcert",
                    pg.sslcert.as_ref().map(|p| p.display().to_string()),
                ),
                (
                    "sslkey",
                    pg.sslkey.as_ref().map(|p| p.display().to_string()),
                ),
                ("search_path", pg.search_path.clone()),
                ("role", pg.role.clone()),
                ("keepalives_idle", pg.keepalives_idle.map(|s| s.to_string())),
            ];
            for (key, value) in optional {
                if let Some(value) = value {
                    lines.push(format!("  {key}: {value}"));
                }
            }
            lines.push(format!("  connect_timeout: {}", pg.connect_timeout));
            lines.push(format!("  retries: {}", pg.retries));
            ui::info(&lines.join("\n"));
        }
    }
    // A check leaves the disk as it found it: a DuckDB file that does not exist yet (nor, maybe,
    // its folder) is not created here; its extensions and settings are tried in memory instead.
    let mut probe = target.clone();
    let not_yet_created = match &mut probe.kind {
        TargetKind::DuckDb(duck) if duck.path.as_os_str() != ":memory:" => {
            let file = project.root.join(&duck.path);
            let missing = !file.exists();
            if missing {
                duck.path = ":memory:".into();
            }
            missing.then_some(file)
        }
        _ => None,
    };
    match adapter::connect(&probe, &project.root).await {
        Ok(connection) => match connection.query("select 1").await {
            Ok(_) => {
                if let Some(encryption) = connection.encryption() {
                    ui::info(&format!("  encryption: {encryption}"));
                }
                if let Some(file) = not_yet_created {
                    ui::info(&format!(
                        "  {} does not exist yet: the first command that runs a node creates it",
                        file.display()
                    ));
                }
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
