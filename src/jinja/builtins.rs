//! The macros of dbt's global project, written for uxt: every project can call them (also as
//! `dbt.<name>`), and a project macro of the same name replaces one. The files are part of the
//! binary; errors in them name `uxt/macros/<file>.sql`.

use std::sync::Arc;

use crate::project::SourceFile;

/// (file name, text) of each built-in macro file.
const FILES: [(&str, &str); 6] = [
    ("naming.sql", include_str!("builtins/naming.sql")),
    ("types.sql", include_str!("builtins/types.sql")),
    ("utils.sql", include_str!("builtins/utils.sql")),
    ("timestamps.sql", include_str!("builtins/timestamps.sql")),
    ("relations.sql", include_str!("builtins/relations.sql")),
    (
        "materializations.sql",
        include_str!("builtins/materializations.sql"),
    ),
];

/// The built-in macro files, named as errors show them.
pub fn files() -> Vec<SourceFile> {
    FILES
        .iter()
        .map(|(name, text)| SourceFile {
            path: format!("uxt/macros/{name}"),
            contents: Arc::from(*text),
        })
        .collect()
}
