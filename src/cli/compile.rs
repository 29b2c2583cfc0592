//! `uxt compile`: load, settings, parse, plan, connect, compile, write `target/compiled/` and
//! the manifest; or with `--inline`, compile that SQL and print it.

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::Result;
use crate::graph::{self, Selection};
use crate::settings::{Flags, Settings};
use crate::{adapter, compile, deps, manifest, ui};

pub async fn run(flags: &Flags, selection: &Selection, inline: Option<&str>) -> Result<Outcome> {
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    if let Some(sql) = inline {
        graph::check_cycles(&parsed.manifest)?;
        let adapter = adapter::open(&settings.target, &project.root).await?;
        super::deferred(flags, &parsed, &adapter, &[], false).await?;
        ui::data(&compile::inline(&parsed, &adapter, sql).await?);
        return Ok(Outcome::Success);
    }
    let plan = graph::plan(
        &parsed.manifest,
        &super::compared(selection, &parsed.manifest, &project)?,
        settings.selectors.as_ref(),
        &["model", "analysis"],
    )?;
    let adapter = adapter::open(&settings.target, &project.root).await?;
    super::deferred(flags, &parsed, &adapter, &plan.order, false).await?;
    let compilation =
        compile::compile(&parsed, &adapter, &plan.order, settings.full_refresh).await?;
    compilation.require_all()?;
    let target_dir = project.target_dir();
    artifacts::write_compiled(&parsed.manifest, &target_dir, &compilation.nodes, |_| false)?;
    let sql = compilation.sql();
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(&target_dir, &parsed.manifest, &sql, &invocation)?;
    if let ([only], false) = (plan.order.as_slice(), selection.select.is_empty()) {
        ui::info(&format!(
            "Compiled node '{}' is:",
            parsed.manifest.nodes[only].name
        ));
        ui::data(&sql[only]);
    } else {
        ui::info(&format!(
            "Compiled {} nodes into {}",
            compilation.nodes.len(),
            target_dir.join("compiled").display()
        ));
    }
    Ok(Outcome::Success)
}
