//! `uxt clean`: deletes the project's `clean-targets`, never anything outside the project.

use super::Outcome;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::settings::Flags;
use crate::ui;

pub fn run(flags: &Flags) -> Result<Outcome> {
    let project = super::read_project_file(flags)?;
    // Every target is checked before any is deleted, so a bad entry deletes nothing.
    for target in &project.clean_targets {
        let inside = project
            .root
            .join(target)
            .canonicalize()
            .ok()
            .zip(project.root.canonicalize().ok())
            .is_none_or(|(p, root)| p.starts_with(&root) && p != root);
        if !inside {
            return Err(Diagnostic::new(
                Code::CleanOutside,
                format!("clean target `{target}` is not inside the project"),
            )
            .in_file(project.project_file.path.clone())
            .with_help("list only folders inside the project under `clean-targets`")
            .into());
        }
    }
    for target in &project.clean_targets {
        let path = project.root.join(target);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| anyhow::anyhow!("while deleting `{}`: {e}", path.display()))?;
            ui::info(&format!("Cleaned {target}/"));
        }
    }
    ui::info("Finished cleaning all paths.");
    Ok(Outcome::Success)
}
