//! `uxt deps`: installs the project's packages (no profile or warehouse needed).

use super::Outcome;
use crate::deps::{self, AddPackage, Options};
use crate::diagnostic::Result;
use crate::settings::{self, Flags};

pub fn run(
    flags: &Flags,
    lock: bool,
    upgrade: bool,
    add_package: Option<&str>,
    source: &str,
) -> Result<Outcome> {
    let project = super::read_project_file(flags)?;
    let vars = settings::parse_vars(flags.vars.as_deref())?;
    let add_package = add_package.map(|text| {
        let (name, version) = match text.rsplit_once('@') {
            Some((name, version)) if !name.is_empty() => (name, Some(version.to_string())),
            _ => (text, None),
        };
        AddPackage {
            name: name.to_string(),
            version,
            source: source.to_string(),
        }
    });
    let options = Options {
        lock_only: lock,
        upgrade,
        add_package,
    };
    deps::deps(
        &deps::Project {
            root: &project.root,
            name: &project.name,
            install_path: &project.packages_install_path,
            vars: &vars,
        },
        &options,
    )?;
    Ok(Outcome::Success)
}
