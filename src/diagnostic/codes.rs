//! The registry of diagnostic codes: every problem uxt reports in a user's project, data or
//! arguments has one stable name here (`uxt::<area>::<name>`), a default severity, and a line
//! saying when it happens. Tools and people search for these names, so a name never changes
//! once released.
//!
//! Adding a code is one line in `codes!` below: the variant, the name, the severity and the
//! description. `ERROR_CODES.md` is generated from this list; the unit test
//! `error_codes_md_is_generated_from_the_registry` fails while the file is out of date, and
//! `UXT_UPDATE_CODES=1 cargo test --lib error_codes` rewrites it.

use std::fmt;

/// How bad a diagnostic is: an error stops the command (exit code 1); a warning is reported and
/// the command goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident, $description:literal;)+) => {
        /// A diagnostic's stable identity.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $description] $variant,)+
        }

        impl Code {
            /// Every code, in the registry's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The stable name users see and search for: `uxt::parse::unknown_ref`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// The severity a diagnostic of this code has unless the command says otherwise.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)+
                }
            }

            /// When it happens, for the reference (`ERROR_CODES.md`).
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)+
                }
            }
        }
    };
}

codes! {
    ProjectNotFound = "uxt::project::not_found", Error, "No `uxt_project.yml`, `project/uxt_project.yml` or `dbt_project.yml` in the folder given with `--project-dir`, or in the current folder or any folder above it.";
    ProjectRead = "uxt::project::read", Error, "A file of the project cannot be read: missing permissions, or not UTF-8 text.";
    ProjectEncoding = "uxt::project::encoding", Error, "A file of the project (or `profiles.yml`) is not UTF-8 text; the error names the line of the first byte that is not.";
    ProjectInvalid = "uxt::project::invalid", Error, "The project file is not a YAML mapping of settings, or a setting has the wrong form: a path list written as text, a `name` that is not an identifier, a `version` that is a list, a `config-version` other than 2, a `query-comment` that is a list.";
    ProjectUnknownKey = "uxt::project::unknown_key", Error, "The project file has a top-level key that `dbt_project.yml` does not have (often a typo).";
    ProjectMissingName = "uxt::project::missing_name", Error, "The project file has no `name`.";
    ProjectRequireDbtVersion = "uxt::project::require_dbt_version", Error, "The project or an installed package requires a dbt version other than the one uxt behaves as, or its `require-dbt-version` is not a version range.";
    ProjectUnusedKey = "uxt::project::unused_key", Warning, "The project file (or `dependencies.yml`, for its `projects:`) has a key that dbt accepts and uxt does not use (such as `functions` or `saved-queries`), or a `flags:` entry uxt does not apply (one it does not implement, or one of the wrong form); it is ignored.";
    ProjectUnusedConfigPath = "uxt::project::unused_config_path", Warning, "A path of the project file's `models:`, `seeds:`, `snapshots:` or `data_tests:` block names a folder or package under which there is no resource, so its configs apply to nothing (dbt's `UnusedResourceConfigPath`).";
    ProjectDispatch = "uxt::project::dispatch", Error, "The project file's `dispatch:` is malformed: it is a list of `macro_namespace` and `search_order` entries.";
    ProjectSelectors = "uxt::project::selectors", Error, "`selectors.yml` has `env_var()` or `var()` that cannot be rendered (an unset variable without a default).";
    YamlSyntax = "uxt::yaml::syntax", Error, "A YAML file (the project file, properties, `profiles.yml`, `selectors.yml`, `--vars`) is not valid YAML.";
    PropertiesInvalid = "uxt::properties::invalid", Error, "A properties file has the wrong shape: not a mapping, or an entry of the wrong type where a list or mapping belongs.";
    PropertiesUnknownKey = "uxt::properties::unknown_key", Error, "A properties file has a key dbt does not know: at the top level (other than `models`, `sources`, `seeds`, `snapshots`, `analyses`, `macros`, `exposures`...) an error; inside an entry a warning, and the key is ignored. A top-level `functions:` or `tests:`, and entry keys dbt reads past (a column's `entity`, a model's `semantic_model`), are warnings that say dbt accepts them.";
    PropertiesUnknownDoc = "uxt::properties::unknown_doc", Error, "A description's `doc()` names a docs block that no `.md` file of the project defines.";
    PropertiesDuplicate = "uxt::properties::duplicate", Error, "Two properties entries describe the same model, seed, snapshot, analysis or source table.";
    PropertiesMissingName = "uxt::properties::missing_name", Error, "A properties entry (a model, source, table, column or test) has no `name`.";
    PropertiesInvalidExposure = "uxt::properties::invalid_exposure", Error, "An exposure in properties YAML has a missing or malformed key (`type`, `owner`, `depends_on`, `charts`...).";
    PropertiesInvalidSemantic = "uxt::properties::invalid_semantic", Error, "A semantic model, metric or time spine in properties YAML has a missing or malformed key, or names a model, measure, dimension or metric that does not exist.";
    PropertiesInvalidUnitTest = "uxt::properties::invalid_unit_test", Error, "A unit test in properties YAML has a missing or malformed key (`model`, `given`, `expect`, `rows`, `format`, `overrides`...).";
    PropertiesNoSuchNode = "uxt::properties::no_such_node", Warning, "A properties entry describes a model, seed, snapshot, analysis or macro that does not exist; the entry is ignored.";
    PropertiesWrongSection = "uxt::properties::wrong_section", Warning, "A properties entry under `models:`, `seeds:` or `snapshots:` names a node of another kind (a seed under `models:`): as in dbt, only its tests are read.";
    PropertiesVersions = "uxt::properties::versions", Error, "A model's `versions:` or `latest_version` is malformed: an entry without `v`, a repeated version, a `defined_in` file that does not exist, or a `latest_version` that names no version.";
    PropertiesSourceFreshness = "uxt::properties::source_freshness", Error, "A source's or source table's `freshness` is malformed (a key other than `warn_after`, `error_after` and `filter`, a `period` other than `minute`, `hour` and `day`, a `count` that is not a whole number), or one level sets both `loaded_at_field` and `loaded_at_query`.";
    PropertiesGroupOwner = "uxt::properties::group_owner", Error, "A group's `owner` has neither `name` nor `email`.";
    ProfileNotFound = "uxt::profile::not_found", Error, "No `profiles.yml` in `--profiles-dir`, `UXT_PROFILES_DIR`, the project root, `project/`, `~/.uxt/` or `~/.dbt/`.";
    ProfileUnreadable = "uxt::profile::unreadable", Error, "A `profiles.yml` exists but cannot be read (permissions, a directory of that name).";
    ProfileEncoding = "uxt::profile::encoding", Error, "A `profiles.yml` is not UTF-8 text.";
    ProfileMissing = "uxt::profile::missing", Error, "The profile that the project file's `profile:` (or `--profile`) names is not in `profiles.yml`.";
    ProfileUnknownTarget = "uxt::profile::unknown_target", Error, "The target chosen with `--target`, `UXT_TARGET` or the profile's `target:` is not an output of the profile.";
    ProfileRender = "uxt::profile::render", Error, "A profile value's Jinja fails, typically an `env_var()` whose variable is not set and has no default.";
    ProfileMissingKey = "uxt::profile::missing_key", Error, "A target lacks a key its type requires (`type`, `host`, `user`, `dbname`...).";
    ProfileIgnoredKey = "uxt::profile::ignored_key", Warning, "A target has a key that dbt's adapter knows and uxt does not implement; it is ignored.";
    ProfileUnknownKey = "uxt::profile::unknown_key", Error, "A target has a key its type does not know (often a typo of `dbname`, `schema`, `threads`...).";
    ProfileInvalid = "uxt::profile::invalid", Error, "A target's value has the wrong form: a port or thread count that is not a whole number, an `sslmode` that libpq does not know, certificate settings that contradict each other.";
    ProfileUnknownType = "uxt::profile::unknown_type", Error, "A target's `type` names an engine uxt has no adapter for (it has `duckdb` and `postgres`).";
    JinjaSyntax = "uxt::jinja::syntax", Error, "A template has a Jinja syntax error: an unclosed block, a misspelt keyword, a stray `}}`.";
    JinjaUnknownMacro = "uxt::jinja::unknown_macro", Error, "A template calls a function or macro that neither the project nor uxt defines.";
    JinjaUndefined = "uxt::jinja::undefined", Error, "A template reads a variable or attribute that is not defined.";
    JinjaRender = "uxt::jinja::render", Error, "A template fails while rendering: `exceptions.raise_compiler_error`, a wrong argument.";
    JinjaQuery = "uxt::jinja::query", Error, "A statement a template sends (`run_query`, `statement`, `adapter.execute`) fails in the warehouse: dbt's database error.";
    JinjaRecursion = "uxt::jinja::recursion", Error, "Macros call each other deeper than uxt allows: a recursion that never stops.";
    ParseUnknownRef = "uxt::parse::unknown_ref", Error, "A `ref()` names no model, seed or snapshot of the project, or one that is disabled.";
    ParseUnknownSource = "uxt::parse::unknown_source", Error, "A `source()` names a source table that no properties file declares.";
    ParseAccess = "uxt::parse::access", Error, "A `ref()` reaches a model its `access:` does not allow: a private model from outside its group, or a protected model from another package.";
    ParseInvalidAccess = "uxt::parse::invalid_access", Error, "A model's `access:` is not `private`, `protected` or `public`, or an ephemeral model is `public`.";
    ParseUnknownGroup = "uxt::parse::unknown_group", Error, "A node's `group:` names a group that no properties file declares under `groups:`.";
    ParseYamlJinja = "uxt::parse::yaml_jinja", Error, "Jinja in a YAML value (a config, a source's schema, a test argument) fails to render.";
    ParseDeprecated = "uxt::parse::deprecated", Warning, "A model has passed its `deprecation_date`, or a `ref()` reaches a model that is deprecated or will be.";
    ParseDuplicateName = "uxt::parse::duplicate_name", Error, "Two models, seeds or snapshots have the same name (they share one `ref` namespace), or two groups do.";
    ParseDuplicateMacro = "uxt::parse::duplicate_macro", Error, "Two macros of the project have the same name.";
    ParseUnsupported = "uxt::parse::unsupported", Error, "The project uses something uxt does not implement, such as an exposure that depends on a metric.";
    ParseMicrobatch = "uxt::parse::microbatch", Error, "A microbatch model's config lacks `event_time`, `begin` or a `batch_size` of hour, day, month or year, or has a `lookback` that is not a whole number or a `concurrent_batches` that is not true or false.";
    ParseMicrobatchUnfiltered = "uxt::parse::microbatch_unfiltered", Warning, "No `ref` or `source` input of a microbatch model declares an `event_time`, so each batch reads all of their rows (dbt's MicrobatchModelNoEventTimeInputs).";
    ParseSeedDependency = "uxt::parse::seed_dependency", Error, "A seed's pre- or post-hook calls `ref` or `source`: seeds are the roots of the graph and cannot depend on other nodes (as in dbt).";
    ParseUnitTest = "uxt::parse::unit_test", Error, "A unit test does not fit its model: the model does not exist, an incremental model lacks a `this` input or an `is_incremental` override, or a versioned ref is used wrongly.";
    ConfigUnknownKey = "uxt::config::unknown_key", Warning, "A node's config has a key that neither dbt nor uxt knows; it is kept in the manifest but has no effect (often a typo).";
    ConfigInvalid = "uxt::config::invalid", Error, "A node's config value has the wrong type, such as a list where a string belongs.";
    ConfigUnsupported = "uxt::config::unsupported", Warning, "A node's config asks for something the target's engine does not have (`grants` or `unlogged` tables on DuckDB, an index `type` where there is one kind of index), or sets a key dbt accepts only for other engines (Snowflake's `transient`, BigQuery's `labels`, dbt-duckdb's `external` options, Python models' `packages`); it is ignored.";
    TestInvalid = "uxt::test::invalid", Error, "A generic test entry in properties YAML cannot be read: neither a test name nor a mapping of one test to its arguments.";
    TestUnknown = "uxt::test::unknown", Warning, "A data test in properties YAML names a generic test that is not defined: neither dbt's `unique`, `not_null`, `accepted_values`, `relationships` nor a `test_<name>` macro of the project or a package; the test fails when it runs, as in dbt.";
    TestUnknownTo = "uxt::test::unknown_to", Error, "A `relationships` test's `to:` names no model, seed, snapshot or source.";
    TestDisabledTarget = "uxt::test::disabled_target", Warning, "A data test is on a source table that is disabled, or its `to:` names one: the test is disabled with it (in the manifest's `disabled`), as dbt warns with `InvalidDisabledTargetInTestNode`.";
    SeedInvalid = "uxt::seed::invalid", Error, "A seed's CSV file cannot be read: not UTF-8, a row with more or fewer fields than the header, an unclosed quote, a duplicate or empty column name.";
    SeedLoad = "uxt::seed::load", Error, "The warehouse refused a seed's rows, typically a value that outgrew the type the table was made with; `--full-refresh` or `column_types` fixes it.";
    SeedColumnTypes = "uxt::seed::column_types", Warning, "A seed's `column_types` is not a mapping of columns to types, names a column the CSV file does not have, or gives a type that is not text; the entry is ignored.";
    GraphCycle = "uxt::graph::cycle", Error, "The nodes' `ref()` calls form a cycle.";
    SelectInvalid = "uxt::select::invalid", Error, "A `--select`/`--exclude` expression or a selector definition is not valid selection syntax, or names a method uxt does not know.";
    SelectNoSelectors = "uxt::select::no_selectors", Error, "`--selector` was given, but the project has no `selectors.yml`.";
    SelectSelectors = "uxt::select::selectors", Error, "`selectors.yml` cannot be read: invalid YAML, an unknown selector, or a selector that includes itself.";
    StateNoManifest = "uxt::state::no_manifest", Error, "`--state` (or `DBT_STATE`) names a folder without a `manifest.json`: it should be the target folder of the run to compare with.";
    StateUnreadable = "uxt::state::unreadable", Error, "An artifact in the `--state` folder cannot be read (permissions, a directory of that name).";
    StateDeferWithoutState = "uxt::state::defer_without_state", Error, "`--defer` was given without `--state` or `--defer-state`, so there are no artifacts to defer to.";
    StateInvalid = "uxt::state::invalid", Error, "An artifact in the `--state` folder is not the JSON of a dbt or uxt `manifest.json` or `run_results.json`.";
    ExecUnknownMaterialization = "uxt::exec::unknown_materialization", Error, "A node's `materialized` names a materialization that neither uxt nor a project or package defines for this engine.";
    ArtifactsWrite = "uxt::artifacts::write", Error, "A file uxt writes under `target/` (an artifact, compiled SQL, the docs site) or the log folder cannot be written: a full disk, a folder that is read-only or not writable for this user, a folder where the file belongs. The previous file is left as it was.";
    AdapterConnect = "uxt::adapter::connect", Error, "The target's warehouse cannot be opened: the server is down or unreachable, the credentials are refused, the DuckDB file is locked.";
    HookFailed = "uxt::hook::failed", Error, "An `on-run-start` or `on-run-end` statement of the project file failed in the warehouse.";
    ShowSelection = "uxt::show::selection", Error, "`uxt show` was given a selection of other than exactly one node.";
    ShowQuery = "uxt::show::query", Error, "The query of `uxt show` failed in the warehouse.";
    CleanOutside = "uxt::clean::outside", Error, "A `clean-targets` entry is not inside the project (or is the project itself), so `uxt clean` refuses to delete it.";
    SimulateConfig = "uxt::simulate::config", Error, "`simulation.yml` (or the project file's `simulation:` block) has an unknown key or a value out of range.";
    SimulateReference = "uxt::simulate::reference", Error, "A seed the simulator reads its town from (districts, occupations, products, stores, machines, plans) is malformed.";
    SimulateChanged = "uxt::simulate::changed", Error, "The warehouse holds a simulation made with other settings, seed or generator version; `--reset` starts over.";
    SimulateWarehouse = "uxt::simulate::warehouse", Error, "The warehouse refused a statement of `uxt simulate`.";
    SimulateMemory = "uxt::simulate::memory", Error, "The town the settings ask for needs more memory than the machine has available; a smaller `--scale` or `population:` fits.";
    DepsRead = "uxt::deps::read", Error, "`packages.yml`, `dependencies.yml` or `package-lock.yml` cannot be read.";
    DepsInvalid = "uxt::deps::invalid", Error, "A package entry is malformed: no source key, an unknown key, a version range that cannot be read.";
    DepsLock = "uxt::deps::lock", Error, "`package-lock.yml` is malformed.";
    DepsResolve = "uxt::deps::resolve", Error, "The packages' version ranges cannot all be satisfied at once.";
    DepsUnreachable = "uxt::deps::unreachable", Error, "A package's source (the hub, a git remote, a tarball URL, a local path) cannot be reached.";
    DepsInstall = "uxt::deps::install", Error, "A package was fetched but cannot be installed into `dbt_packages/`.";
    DepsDuplicateName = "uxt::deps::duplicate_name", Error, "Two packages, or a package and the project, have the same name.";
    DepsNotInstalled = "uxt::deps::not_installed", Error, "The project declares packages that are not installed; `uxt deps` installs them.";
    DepsOutdated = "uxt::deps::outdated", Error, "The installed packages do not match `packages.yml` or `package-lock.yml`; `uxt deps` brings them in line.";
    ChartInvalid = "uxt::chart::invalid", Error, "A dashboard chart's specification is malformed: an unknown chart type, a missing axis, a column that is not there.";
    ChartUndeclaredDependency = "uxt::chart::undeclared_dependency", Warning, "A dashboard chart reads a model that its exposure's `depends_on` does not list, so lineage and selection miss it.";
    ChartUnknownModel = "uxt::chart::unknown_model", Error, "A dashboard chart reads a model or analysis that the project does not have.";
    WarnErrorEvent = "uxt::warn_error::event", Error, "A warning that `--warn-error` or `--warn-error-options` makes an error; the message names its dbt event (`NothingToDo`, `NoNodesSelected`, `JinjaLogWarning`).";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The reference of every code as Markdown, grouped by area: what `ERROR_CODES.md` holds.
pub fn reference() -> String {
    let mut text = String::from(
        "# Diagnostic codes\n\n\
         Every problem uxt reports in a project, its data or its arguments carries one of these codes.\n\
         An error stops the command with exit code 1; a warning is reported and the command goes on.\n\
         Generated from `src/diagnostic/codes.rs`; do not edit by hand.\n",
    );
    let mut area = "";
    for code in Code::ALL {
        let this_area = code.name().split("::").nth(1).unwrap_or_default();
        if this_area != area {
            area = this_area;
            text.push_str(&format!(
                "\n## {area}\n\n| code | severity | when |\n| --- | --- | --- |\n"
            ));
        }
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.name(),
            code.severity().as_str(),
            code.description()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_unique_well_formed_name_and_a_description() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let name = code.name();
            let parts: Vec<&str> = name.split("::").collect();
            assert!(
                parts.len() == 3
                    && parts[0] == "uxt"
                    && parts[1..].iter().all(|part| {
                        !part.is_empty()
                            && part
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    }),
                "`{name}` is not `uxt::<area>::<name>` in snake case"
            );
            assert!(seen.insert(name), "`{name}` is registered twice");
            let description = code.description();
            assert!(
                description.len() > 20 && description.ends_with('.'),
                "`{name}` needs a sentence saying when it happens"
            );
        }
    }

    #[test]
    fn codes_of_one_area_are_listed_together() {
        let areas: Vec<&str> = Code::ALL
            .iter()
            .map(|code| code.name().split("::").nth(1).unwrap_or_default())
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for area in areas {
            if seen.last() != Some(&area) {
                assert!(
                    !seen.contains(&area),
                    "the `{area}` codes are split up in the registry; keep them together"
                );
                seen.push(area);
            }
        }
    }

    #[test]
    fn error_codes_md_is_generated_from_the_registry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ERROR_CODES.md");
        let expected = reference();
        if std::env::var_os("UXT_UPDATE_CODES").is_some() {
            std::fs::write(&path, &expected).expect("ERROR_CODES.md is writable");
        }
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == expected,
            "ERROR_CODES.md is out of date: run `UXT_UPDATE_CODES=1 cargo test --lib error_codes`"
        );
    }
}
