//! dbt's structured events: each name's code, and the `node_info` that events about a node carry.
//! Orchestrators key on these (dagster-dbt turns `LogModelResult` and `LogTestResult` with
//! `node_info` into materializations and asset checks), so the names and codes are dbt's.

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

/// dbt's code for each event name uxt fires; uxt's own events (with no dbt counterpart) have
/// codes starting with `U`.
const CODES: &[(&str, &str)] = &[
    ("MainReportVersion", "A001"),
    ("MainReportArgs", "A002"),
    ("AdapterRegistered", "E034"),
    ("NoNodesForSelectionCriteria", "M030"),
    ("CustomOutputPathInSourceFreshnessDeprecation", "D029"),
    ("FreshnessConfigProblem", "I073"),
    ("DepsNoPackagesFound", "M013"),
    ("DepsStartPackageInstall", "M014"),
    ("DepsInstallInfo", "M015"),
    ("DepsUpdateAvailable", "M016"),
    ("DepsUpToDate", "M017"),
    ("DepsListSubdirectory", "M018"),
    ("DepsNotifyUpdatesAvailable", "M019"),
    ("DepsUnpinned", "M029"),
    ("DepsLockUpdating", "M031"),
    ("DepsAddPackage", "M032"),
    ("DepsFoundDuplicatePackage", "M033"),
    ("ArtifactWritten", "P001"),
    ("CompileComplete", "Q002"),
    ("FreshnessCheckComplete", "Q003"),
    ("LogTestResult", "Q007"),
    ("LogNodeResult", "Q008"),
    ("LogStartLine", "Q011"),
    ("LogModelResult", "Q012"),
    ("LogSnapshotResult", "Q015"),
    ("LogSeedResult", "Q016"),
    ("LogFreshnessResult", "Q018"),
    ("LogNodeNoOpResult", "Q019"),
    ("LogCancelLine", "Q022"),
    ("NodeStart", "Q024"),
    ("NodeFinished", "Q025"),
    ("ConcurrencyLine", "Q027"),
    ("LogHookStartLine", "Q032"),
    ("LogHookEndLine", "Q033"),
    ("SkippingDetails", "Q034"),
    ("NothingToDo", "Q035"),
    ("NoNodesSelected", "Q038"),
    ("CommandCompleted", "Q039"),
    ("ShowNode", "Q041"),
    ("CompiledNode", "Q042"),
    ("FoundStats", "W006"),
    ("FinishedRunningStats", "E047"),
    ("HooksRunning", "E046"),
    ("JinjaLogWarning", "I061"),
    ("JinjaLogInfo", "I062"),
    ("JinjaLogDebug", "I063"),
    ("MainKeyboardInterrupt", "Z001"),
    ("MainEncounteredError", "Z002"),
    ("CheckCleanPath", "Z012"),
    ("ConfirmCleanPath", "Z013"),
    ("FinishedCleanPaths", "Z015"),
    ("Formatting", "Z017"),
    ("RunResultWarning", "Z021"),
    ("RunResultFailure", "Z022"),
    ("StatsLine", "Z023"),
    ("RunResultError", "Z024"),
    ("RunResultErrorNoMessage", "Z025"),
    ("SQLCompiledPath", "Z026"),
    ("RunResultWarningMessage", "Z046"),
    ("EndOfRunSummary", "Z030"),
    ("DebugCmdOut", "Z047"),
    ("DebugCmdResult", "Z048"),
    ("ListCmdOut", "Z049"),
    ("Note", "Z050"),
    ("PrintEvent", "Z052"),
    ("Diagnostic", "U001"),
    ("SimulatedDays", "U002"),
    ("CloneResult", "U003"),
];

/// The code of an event name: dbt's, or `U000` for a name in neither list.
pub fn code(name: &str) -> &'static str {
    CODES
        .iter()
        .find(|(known, _)| *known == name)
        .map_or("U000", |(_, code)| code)
}

/// What dbt's events say of the node they concern (`data.node_info`).
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    pub unique_id: String,
    pub name: String,
    /// Relative to the node's resource folder, as dbt's `node_path`.
    pub path: String,
    pub resource_type: String,
    pub materialized: String,
    pub checksum: String,
    pub meta: Json,
    pub database: String,
    pub schema: String,
    pub alias: String,
    /// The quoted relation, empty for tests.
    pub relation_name: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `started`, `compiling`, `executing`, then the result (`success`, `error`, `pass`...).
    pub status: String,
}

impl NodeInfo {
    pub fn to_json(&self) -> Json {
        let stamp = |time: &Option<DateTime<Utc>>| {
            time.map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
                .unwrap_or_default()
        };
        json!({
            "materialized": self.materialized,
            "meta": if self.meta.is_null() { json!({}) } else { self.meta.clone() },
            "node_checksum": self.checksum,
            "node_finished_at": stamp(&self.finished_at),
            "node_name": self.name,
            "node_path": self.path,
            "node_relation": {
                "alias": self.alias,
                "database": self.database,
                "relation_name": self.relation_name,
                "schema": self.schema,
            },
            "node_started_at": stamp(&self.started_at),
            "node_status": self.status,
            "resource_type": self.resource_type,
            "unique_id": self.unique_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_events_have_dbt_codes() {
        assert_eq!(code("LogModelResult"), "Q012");
        assert_eq!(code("LogTestResult"), "Q007");
        assert_eq!(code("NodeFinished"), "Q025");
        assert_eq!(code("NoSuchEvent"), "U000");
    }

    #[test]
    fn node_info_stamps_without_zone_and_empty_when_unknown() {
        let started = DateTime::parse_from_rfc3339("2024-01-02T03:04:05.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let info = NodeInfo {
            started_at: Some(started),
            status: "started".into(),
            ..NodeInfo::default()
        };
        let json = info.to_json();
        assert_eq!(json["node_started_at"], "2024-01-02T03:04:05.123456");
        assert_eq!(json["node_finished_at"], "");
        assert_eq!(json["meta"], json!({}));
    }
}
