//! Model versions as dbt reads them: a model's `versions:` in properties YAML make each version
//! a node of its own (`model.<package>.<name>.v<v>`, alias `<name>_v<v>`), defined in the file
//! `<name>_v<v>.sql` or `defined_in`, the latest version also in `<name>.sql`. A plain `ref`
//! means `latest_version` (else the greatest version); `ref(..., v=...)` picks one. References
//! to a model past or near its `deprecation_date` are warnings.

use std::cmp::Ordering;

use chrono::NaiveDate;

use super::Node;
use crate::project::properties::{Patch, Properties, VersionDef};

/// A node's place among its model's versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub v: String,
    pub latest: String,
}

/// dbt's order of versions: numbers by value, otherwise as text.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// The version a plain `ref` means: `latest_version`, else the greatest.
pub fn latest(patch: &Patch) -> Option<String> {
    patch.latest_version.clone().or_else(|| {
        patch
            .versions
            .iter()
            .map(|v| v.v.as_str())
            .max_by(|a, b| compare(a, b))
            .map(str::to_string)
    })
}

/// The versioned model a model file (`stem`: its name without `.sql`) defines, if any.
pub fn of_file<'a>(
    properties: &'a Properties,
    stem: &str,
) -> Option<(&'a Patch, &'a VersionDef, Versioned)> {
    let patches = properties.patches.get("models")?;
    for patch in patches.values().filter(|p| !p.versions.is_empty()) {
        let latest = latest(patch)?;
        let named = patch.versions.iter().find(|version| {
            version.defined_in.as_deref().map_or_else(
                || stem == format!("{}_v{}", patch.name, version.v),
                |defined_in| stem == defined_in,
            )
        });
        // The latest version may live in the model's own file.
        let found = named.or_else(|| {
            (stem == patch.name)
                .then(|| patch.versions.iter().find(|v| v.v == latest))
                .flatten()
        });
        if let Some(version) = found {
            return Some((
                patch,
                version,
                Versioned {
                    v: version.v.clone(),
                    latest,
                },
            ));
        }
    }
    None
}

/// A version as the manifest writes it: a number when it is one, as dbt reads `v: 2`.
pub fn json(v: &str) -> serde_json::Value {
    if let Ok(number) = v.parse::<i64>() {
        return number.into();
    }
    v.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| v.into(), serde_json::Value::Number)
}

/// dbt's default alias of a version: `<name>_v<v>`, dots made underscores.
pub fn alias(name: &str, v: &str) -> String {
    format!("{name}_v{}", v.replace('.', "_"))
}

/// dbt's warnings for `from`'s reference to `target` when `target` has a deprecation date:
/// passed (DeprecatedReference) or still to come (UpcomingReferenceDeprecation).
pub fn reference_warning(from: &Node, target: &Node, today: NaiveDate) -> Option<String> {
    let date = target.deprecation_date.as_deref()?;
    let version = target.version.as_ref();
    let name = match version {
        Some(versioned) => format!("{}.v{}", target.name, versioned.v),
        None => target.name.clone(),
    };
    let passed = deprecation_day(date).is_some_and(|day| day <= today);
    let mut message = format!(
        "While compiling '{}': Found a reference to {name}, which {} '{date}'. ",
        from.name,
        if passed {
            "was deprecated on"
        } else {
            "is slated for deprecation on"
        }
    );
    if let Some(versioned) = version.filter(|v| v.v != v.latest) {
        message.push_str(&format!(
            "A new version of '{}' is available. {}: {{{{ ref('{}', '{}', v='{}') }}}}.",
            target.name,
            if passed { "Migrate now" } else { "Try it out" },
            target.package_name,
            target.name,
            versioned.latest
        ));
    }
    Some(message.trim_end().to_string())
}

/// dbt's warning for a model itself past its deprecation date (DeprecatedModel).
pub fn model_warning(node: &Node, today: NaiveDate) -> Option<String> {
    let date = node.deprecation_date.as_deref()?;
    if deprecation_day(date)? > today {
        return None;
    }
    let version = node
        .version
        .as_ref()
        .map_or_else(String::new, |v| format!(".v{}", v.v));
    Some(format!(
        "Model {}{version} has passed its deprecation date of {date}. This model should be \
         disabled or removed.",
        node.name
    ))
}

/// A `deprecation_date` as dbt prints it: a date alone is midnight UTC.
pub fn timestamp(date: &str) -> String {
    if date.len() == 10 && deprecation_day(date).is_some() {
        format!("{date}T00:00:00+00:00")
    } else {
        date.to_string()
    }
}

/// The day a `deprecation_date` (a date, or a date and time) falls on.
fn deprecation_day(date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_by_number_then_text() {
        assert_eq!(compare("10", "9"), Ordering::Greater);
        assert_eq!(compare("1.5", "1.10"), Ordering::Greater);
        assert_eq!(compare("beta", "alpha"), Ordering::Greater);
    }

    #[test]
    fn the_alias_of_a_version_has_no_dots() {
        assert_eq!(alias("dim", "2.1"), "dim_v2_1");
    }
}
