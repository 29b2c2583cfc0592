//! Source freshness criteria as dbt resolves them. A source table's `freshness` comes from four
//! blocks, merged in dbt's order (the source's, the source's `config`, the table's, the table's
//! `config`), where `freshness: null` (or `warn_after: null`) opts out; a table none of them
//! sets takes the project file's `sources:` config. `loaded_at_field` and `loaded_at_query`
//! follow dbt's rules too. No IO: takes YAML values, returns criteria or a message.

use serde_json::{Map, Value as Json, json};

/// `count` and `period` of `warn_after` or `error_after`: either may be missing, and then the
/// threshold never trips (as in dbt).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Time {
    pub count: Option<i64>,
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Minute,
    Hour,
    Day,
}

impl Period {
    fn parse(text: &str) -> Option<Period> {
        match text {
            "minute" => Some(Period::Minute),
            "hour" => Some(Period::Hour),
            "day" => Some(Period::Day),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }

    fn seconds(self) -> f64 {
        match self {
            Period::Minute => 60.0,
            Period::Hour => 3600.0,
            Period::Day => 86400.0,
        }
    }
}

impl Time {
    /// Both `count` and `period` are given (dbt's truthiness of a `Time`).
    pub fn is_set(&self) -> bool {
        self.count.is_some() && self.period.is_some()
    }

    /// Whether an age in seconds is past this threshold.
    fn exceeded(&self, age: f64) -> bool {
        match (self.count, self.period) {
            (Some(count), Some(period)) => age > count as f64 * period.seconds(),
            _ => false,
        }
    }

    fn to_json(&self) -> Json {
        json!({"count": self.count, "period": self.period.map(Period::as_str)})
    }
}

/// dbt's `FreshnessThreshold`: `None` thresholds were set to `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct Freshness {
    pub warn_after: Option<Time>,
    pub error_after: Option<Time>,
    pub filter: Option<String>,
}

impl Default for Freshness {
    /// What a block that is not written amounts to: thresholds without count or period.
    fn default() -> Self {
        Freshness {
            warn_after: Some(Time::default()),
            error_after: Some(Time::default()),
            filter: None,
        }
    }
}

/// A freshness check's outcome, by dbt's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Warn,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Error => "error",
        }
    }
}

impl Freshness {
    /// A threshold is complete, so `uxt source freshness` checks the table.
    pub fn is_set(&self) -> bool {
        self.warn_after.as_ref().is_some_and(Time::is_set)
            || self.error_after.as_ref().is_some_and(Time::is_set)
    }

    /// The status of data `age` seconds old: `error_after` first, then `warn_after`.
    pub fn status(&self, age: f64) -> Status {
        if self.error_after.as_ref().is_some_and(|t| t.exceeded(age)) {
            Status::Error
        } else if self.warn_after.as_ref().is_some_and(|t| t.exceeded(age)) {
            Status::Warn
        } else {
            Status::Pass
        }
    }

    pub fn to_json(&self) -> Json {
        json!({
            "warn_after": self.warn_after.as_ref().map(Time::to_json),
            "error_after": self.error_after.as_ref().map(Time::to_json),
            "filter": self.filter,
        })
    }
}

/// A malformed `freshness` block: what is wrong, how to write it, and the keys below the block
/// that lead to the wrong value (none for the block itself), for the caller to point at its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub keys: Vec<String>,
    pub message: String,
    pub help: String,
}

impl Invalid {
    fn new(keys: &[&str], message: String, help: impl Into<String>) -> Invalid {
        Invalid {
            keys: keys.iter().map(|key| key.to_string()).collect(),
            message,
            help: help.into(),
        }
    }
}

/// A `freshness` block as written: `None` for `freshness: null`, the empty default when the key
/// is missing.
pub fn parse(value: Option<&Json>) -> Result<Option<Freshness>, String> {
    parse_block(value).map_err(|invalid| invalid.message)
}

/// [`parse`], saying where in the block a wrong value is: properties files are checked with it
/// at parse, so that the error names the line.
pub fn parse_block(value: Option<&Json>) -> Result<Option<Freshness>, Invalid> {
    const KEYS: [&str; 3] = ["warn_after", "error_after", "filter"];
    let Some(value) = value else {
        return Ok(Some(Freshness::default()));
    };
    let block = match value {
        Json::Null => return Ok(None),
        Json::Object(block) => block,
        other => {
            return Err(Invalid::new(
                &[],
                format!("`freshness:` must be a mapping, not {}", kind(other)),
                "write `freshness: {warn_after: {count: 12, period: hour}}`, or `freshness: null`",
            ));
        }
    };
    if let Some(key) = block.keys().find(|k| !KEYS.contains(&k.as_str())) {
        let help = match crate::diagnostic::closest(key, KEYS) {
            Some(near) => format!("did you mean `{near}`?"),
            None => "`freshness:` has `warn_after`, `error_after` and `filter`".into(),
        };
        return Err(Invalid::new(
            &[key],
            format!("unknown key `{key}` in `freshness:`"),
            help,
        ));
    }
    let filter = match block.get("filter") {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(text.clone()),
        Some(other) => {
            return Err(Invalid::new(
                &["filter"],
                format!(
                    "`filter:` of `freshness:` must be SQL text, not {}",
                    kind(other)
                ),
                "write `filter: \"loaded_at > current_date - 7\"`",
            ));
        }
    };
    Ok(Some(Freshness {
        warn_after: time(block, "warn_after")?,
        error_after: time(block, "error_after")?,
        filter,
    }))
}

fn time(block: &Map<String, Json>, key: &str) -> Result<Option<Time>, Invalid> {
    let help = format!("write `{key}: {{count: 12, period: hour}}`");
    let entry = match block.get(key) {
        None => return Ok(Some(Time::default())),
        Some(Json::Null) => return Ok(None),
        Some(Json::Object(entry)) => entry,
        Some(other) => {
            return Err(Invalid::new(
                &[key],
                format!("`{key}:` must be a mapping, not {}", kind(other)),
                help,
            ));
        }
    };
    if let Some(unknown) = entry.keys().find(|k| *k != "count" && *k != "period") {
        return Err(Invalid::new(
            &[key, unknown],
            format!("`{key}:` has `{unknown}`, which is not `count` or `period`"),
            help,
        ));
    }
    let count = match entry.get("count") {
        None | Some(Json::Null) => None,
        Some(Json::Number(number)) if number.as_i64().is_some_and(|n| n >= 0) => number.as_i64(),
        // A count rendered from Jinja (`{{ var('days') }}`) arrives as text.
        Some(Json::String(text)) if text.trim().parse::<u32>().is_ok() => text.trim().parse().ok(),
        Some(other) => {
            return Err(Invalid::new(
                &[key, "count"],
                format!(
                    "`count:` of `{key}` must be a whole number, not `{}`",
                    as_written(other)
                ),
                help,
            ));
        }
    };
    let period = match entry.get("period") {
        None | Some(Json::Null) => None,
        Some(other) => Some(
            other
                .as_str()
                .and_then(|text| Period::parse(text.trim()))
                .ok_or_else(|| {
                    Invalid::new(
                        &[key, "period"],
                        format!(
                            "`period:` of `{key}` must be `minute`, `hour` or `day`, not `{}`",
                            as_written(other)
                        ),
                        "a longer period is a count of days: `{count: 14, period: day}`",
                    )
                })?,
        ),
    };
    Ok(Some(Time { count, period }))
}

/// A scalar as the user wrote it, for a message.
fn as_written(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// dbt's `merge_source_freshness`: each block over the previous one; a `null` block ends the
/// chain (`None`), and after one only a complete block starts it again.
pub fn merge(blocks: impl IntoIterator<Item = Option<Freshness>>) -> Option<Freshness> {
    let mut blocks = blocks.into_iter();
    let mut merged = blocks.next()?;
    for update in blocks {
        merged = match (merged, update) {
            (Some(base), Some(update)) => Some(Freshness {
                warn_after: merge_time(base.warn_after, update.warn_after),
                error_after: merge_time(base.error_after, update.error_after),
                filter: update.filter.or(base.filter),
            }),
            (None, Some(update)) if update.is_set() => Some(update),
            _ => None,
        };
    }
    merged
}

/// dbt's `merge_freshness_time_thresholds`: a `null` update clears, a complete one wins, an
/// incomplete one keeps the base.
fn merge_time(base: Option<Time>, update: Option<Time>) -> Option<Time> {
    match update {
        None => None,
        Some(update) if update.is_set() => Some(update),
        Some(_) => base,
    }
}

/// What decides a source table's freshness, from its YAML and the project file.
pub struct Declared<'a> {
    pub source_freshness: Option<&'a Json>,
    pub source_config: &'a Map<String, Json>,
    pub table_freshness: Option<&'a Json>,
    pub table_config: &'a Map<String, Json>,
    /// The project file's `sources:` config for the table.
    pub project_config: &'a Map<String, Json>,
}

/// The table's criteria: `None` when opted out with `null`; the empty default when nothing
/// sets them (the table is then not checked).
pub fn resolve(declared: &Declared) -> Result<Option<Freshness>, String> {
    let blocks = [
        parse(declared.source_freshness)?,
        parse(declared.source_config.get("freshness"))?,
        parse(declared.table_freshness)?,
        parse(declared.table_config.get("freshness"))?,
    ];
    match merge(blocks) {
        Some(merged) if !merged.is_set() => match declared.project_config.get("freshness") {
            // Nothing in the YAML: the project file's `+freshness`, if any.
            None => Ok(Some(merged)),
            Some(project) => parse(Some(project)),
        },
        resolved => Ok(resolved),
    }
}

/// `loaded_at_field` and `loaded_at_query` as written at each level.
pub struct LoadedAt<'a> {
    pub source_field: Option<&'a str>,
    pub source_query: Option<&'a str>,
    pub source_config: &'a Map<String, Json>,
    pub table_field: Option<&'a str>,
    pub table_field_present: bool,
    pub table_query: Option<&'a str>,
    pub table_config: &'a Map<String, Json>,
    pub project_config: &'a Map<String, Json>,
}

/// dbt's `loaded_at_field` and `loaded_at_query` of a table: the table's own (top-level or in
/// `config`) over the source's, over the project file's; a table's `loaded_at_field` hides the
/// source's `loaded_at_query`. Both at one level is an error.
pub fn loaded_at(declared: &LoadedAt) -> Result<(Option<String>, Option<String>), String> {
    let text = |config: &Map<String, Json>, key: &str| {
        config.get(key).and_then(Json::as_str).map(str::to_string)
    };
    let table_config_field = text(declared.table_config, "loaded_at_field");
    let table_config_query = text(declared.table_config, "loaded_at_query");
    let source_field = declared
        .source_field
        .map(str::to_string)
        .or_else(|| text(declared.source_config, "loaded_at_field"));
    let source_query = declared
        .source_query
        .map(str::to_string)
        .or_else(|| text(declared.source_config, "loaded_at_query"));
    let table_query = declared
        .table_query
        .map(str::to_string)
        .or(table_config_query);
    if declared.table_field_present && table_query.is_some() {
        return Err("a source table has both `loaded_at_field` and `loaded_at_query`".into());
    }
    if source_field.is_some() && source_query.is_some() {
        return Err("a source has both `loaded_at_field` and `loaded_at_query`".into());
    }
    let field = if declared.table_field_present || table_config_field.is_some() {
        declared
            .table_field
            .map(str::to_string)
            .or(table_config_field)
    } else {
        source_field.or_else(|| text(declared.project_config, "loaded_at_field"))
    };
    let query = if table_query.is_some() {
        table_query
    } else if declared.table_field_present {
        None
    } else {
        source_query.or_else(|| text(declared.project_config, "loaded_at_query"))
    };
    Ok((field, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(yaml: Json) -> Option<Json> {
        Some(yaml)
    }

    fn resolved(source: Option<Json>, table: Option<Json>, project: Json) -> Option<Freshness> {
        let empty = Map::new();
        let project = project.as_object().cloned().unwrap_or_default();
        resolve(&Declared {
            source_freshness: source.as_ref(),
            source_config: &empty,
            table_freshness: table.as_ref(),
            table_config: &empty,
            project_config: &project,
        })
        .expect("valid blocks")
    }

    fn time(count: i64, period: Period) -> Option<Time> {
        Some(Time {
            count: Some(count),
            period: Some(period),
        })
    }

    #[test]
    fn table_threshold_overrides_the_sources_one_and_keeps_the_other() {
        let source = block(
            json!({"warn_after": {"count": 1, "period": "hour"}, "error_after": {"count": 1, "period": "day"}}),
        );
        let table = block(json!({"warn_after": {"count": 2, "period": "hour"}}));
        let merged = resolved(source, table, json!({})).expect("criteria");
        assert_eq!(merged.warn_after, time(2, Period::Hour));
        assert_eq!(merged.error_after, time(1, Period::Day));
    }

    #[test]
    fn null_freshness_on_the_table_opts_out() {
        let source = block(json!({"warn_after": {"count": 1, "period": "hour"}}));
        assert_eq!(resolved(source, block(Json::Null), json!({})), None);
    }

    #[test]
    fn null_on_the_source_and_a_complete_table_block_checks_the_table() {
        let table = block(json!({"error_after": {"count": 3, "period": "day"}}));
        let merged = resolved(block(Json::Null), table, json!({})).expect("criteria");
        assert_eq!(merged.error_after, time(3, Period::Day));
        assert_eq!(resolved(block(Json::Null), None, json!({})), None);
    }

    #[test]
    fn a_filter_alone_keeps_the_sources_thresholds() {
        let source = block(json!({"warn_after": {"count": 1, "period": "hour"}}));
        let table = block(json!({"filter": "id > 1"}));
        let merged = resolved(source, table, json!({})).expect("criteria");
        assert_eq!(merged.warn_after, time(1, Period::Hour));
        assert_eq!(merged.filter.as_deref(), Some("id > 1"));
    }

    #[test]
    fn the_project_files_freshness_applies_only_when_the_yaml_sets_none() {
        let project = json!({"freshness": {"warn_after": {"count": 7, "period": "day"}}});
        let merged = resolved(None, None, project.clone()).expect("criteria");
        assert_eq!(merged.warn_after, time(7, Period::Day));
        assert_eq!(merged.error_after, Some(Time::default()));
        let source = block(json!({"warn_after": {"count": 1, "period": "hour"}}));
        let merged = resolved(source, None, project).expect("criteria");
        assert_eq!(merged.warn_after, time(1, Period::Hour));
    }

    #[test]
    fn status_compares_the_age_with_error_after_first() {
        let criteria = Freshness {
            warn_after: time(1, Period::Hour),
            error_after: time(1, Period::Day),
            filter: None,
        };
        assert_eq!(criteria.status(3599.0), Status::Pass);
        assert_eq!(criteria.status(3601.0), Status::Warn);
        assert_eq!(criteria.status(86401.0), Status::Error);
        assert!(!Freshness::default().is_set());
    }

    #[test]
    fn bad_blocks_are_named() {
        let error = parse(Some(&json!({"warn_after": {"count": 1, "period": "week"}})))
            .expect_err("week is no period");
        assert!(error.contains("`week`"), "{error}");
        let error = parse(Some(&json!({"warn_afer": {}}))).expect_err("typo");
        assert!(error.contains("`warn_afer`"), "{error}");
        let parsed = parse(Some(
            &json!({"warn_after": {"count": "2", "period": "day"}}),
        ))
        .expect("a rendered count");
        assert_eq!(parsed.and_then(|f| f.warn_after), time(2, Period::Day));
    }

    #[test]
    fn loaded_at_query_of_the_table_wins_and_a_table_field_hides_the_sources_query() {
        let empty = Map::new();
        let declared = LoadedAt {
            source_field: None,
            source_query: Some("select 1"),
            source_config: &empty,
            table_field: Some("loaded_at"),
            table_field_present: true,
            table_query: None,
            table_config: &empty,
            project_config: &empty,
        };
        assert_eq!(
            loaded_at(&declared),
            Ok((Some("loaded_at".to_string()), None))
        );
        let both = LoadedAt {
            table_query: Some("select 2"),
            ..declared
        };
        assert!(loaded_at(&both).is_err());
    }
}
