//! `uxt parse`: load and parse the project; write `target/manifest.json`.

use std::collections::BTreeMap;
use std::time::Instant;

use super::{Outcome, write_manifest};
use crate::diagnostic::Result;
use crate::settings::{self, Global};
use crate::ui;

pub fn run(global: &Global, invocation_id: &str) -> Result<Outcome> {
    let clock = Instant::now();
    let session = settings::session(global, "parse", false, invocation_id)?;
    write_manifest(&session, &BTreeMap::new(), invocation_id, "parse")?;
    ui::info(&format!(
        "Parsed {} nodes, {} sources and {} macros in {:.2}s; wrote {}",
        session.manifest.nodes.len(),
        session.manifest.sources.len(),
        session.manifest.macros.len(),
        clock.elapsed().as_secs_f64(),
        session.project.target_dir().join("manifest.json").display()
    ));
    Ok(Outcome::Success)
}
