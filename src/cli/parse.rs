//! `uxt parse`: load, settings, parse, check the graph; write `target/manifest.json`.

use std::collections::BTreeMap;
use std::time::Instant;

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::Result;
use crate::settings::{Flags, Settings};
use crate::{deps, graph, manifest, ui};

pub fn run(flags: &Flags) -> Result<Outcome> {
    let clock = Instant::now();
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    graph::check_cycles(&parsed.manifest)?;
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(
        &project.target_dir(),
        &parsed.manifest,
        &BTreeMap::new(),
        &invocation,
    )?;
    let manifest = &parsed.manifest;
    ui::info(&format!(
        "Parsed {} nodes, {} sources and {} macros in {:.2}s; wrote {}",
        manifest.nodes.len(),
        manifest.sources.len(),
        manifest.macros.len(),
        clock.elapsed().as_secs_f64(),
        project.target_dir().join("manifest.json").display()
    ));
    Ok(Outcome::Success)
}
