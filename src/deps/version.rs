//! dbt's version specifiers for hub packages and `require-dbt-version`: `1.1.1`, `=1.1.1`,
//! `>=1.0.0`, `<2.0.0`, `>0.9.0`, `<=1.3.0`; a list of them is their intersection. Pure.

use std::cmp::Ordering;
use std::fmt;

use semver::{Prerelease, Version};

/// How a specifier compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Exact,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// One specifier as written (`>=1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifier {
    pub op: Op,
    pub version: Version,
}

impl fmt::Display for Specifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Exact => "",
            Op::Greater => ">",
            Op::GreaterOrEqual => ">=",
            Op::Less => "<",
            Op::LessOrEqual => "<=",
        };
        write!(f, "{op}{}", self.version)
    }
}

/// Parses a version as dbt writes them: `1.2.3`, `1.2.3-rc1`, `1.2.3rc1`, `1.2.3+build`.
pub fn parse_version(text: &str) -> Option<Version> {
    let text = text.trim();
    let (core, build) = match text.split_once('+') {
        Some((core, build)) => (core, Some(build)),
        None => (text, None),
    };
    let mut parts = core.splitn(3, '.');
    let major = number(parts.next()?)?;
    let minor = number(parts.next()?)?;
    let rest = parts.next()?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let patch = number(&rest[..digits])?;
    let pre = rest[digits..].strip_prefix('-').unwrap_or(&rest[digits..]);
    let mut version = Version::new(major, minor, patch);
    if !pre.is_empty() {
        version.pre = Prerelease::new(pre).ok()?;
    }
    if let Some(build) = build {
        version.build = semver::BuildMetadata::new(build).ok()?;
    }
    Some(version)
}

fn number(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

impl Specifier {
    pub fn parse(text: &str) -> Option<Specifier> {
        let text = text.trim();
        let (op, rest) = [
            (">=", Op::GreaterOrEqual),
            ("<=", Op::LessOrEqual),
            (">", Op::Greater),
            ("<", Op::Less),
            ("=", Op::Exact),
        ]
        .into_iter()
        .find_map(|(prefix, op)| text.strip_prefix(prefix).map(|rest| (op, rest)))
        .unwrap_or((Op::Exact, text));
        Some(Specifier {
            op,
            version: parse_version(rest)?,
        })
    }
}

/// One end of a range: a version and whether it is included.
type Bound = Option<(Version, bool)>;

/// The intersection of specifiers: what `reduce` leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Range {
    lower: Bound,
    upper: Bound,
}

impl Range {
    /// Intersects the specifiers; `None` when no version can satisfy all of them.
    pub fn reduce<'a>(specifiers: impl IntoIterator<Item = &'a Specifier>) -> Option<Range> {
        let mut range = Range::default();
        for specifier in specifiers {
            let version = specifier.version.clone();
            match specifier.op {
                Op::Exact => {
                    range.raise(version.clone(), true);
                    range.cut(version, true);
                }
                Op::Greater => range.raise(version, false),
                Op::GreaterOrEqual => range.raise(version, true),
                Op::Less => range.cut(version, false),
                Op::LessOrEqual => range.cut(version, true),
            }
        }
        match (&range.lower, &range.upper) {
            (Some((low, low_in)), Some((high, high_in))) => match low.cmp(high) {
                Ordering::Greater => None,
                Ordering::Equal if !(*low_in && *high_in) => None,
                _ => Some(range),
            },
            _ => Some(range),
        }
    }

    fn raise(&mut self, version: Version, inclusive: bool) {
        let tighter = match &self.lower {
            None => true,
            Some((current, current_in)) => match version.cmp(current) {
                Ordering::Greater => true,
                Ordering::Equal => *current_in && !inclusive,
                Ordering::Less => false,
            },
        };
        if tighter {
            self.lower = Some((version, inclusive));
        }
    }

    fn cut(&mut self, version: Version, inclusive: bool) {
        let tighter = match &self.upper {
            None => true,
            Some((current, current_in)) => match version.cmp(current) {
                Ordering::Less => true,
                Ordering::Equal => *current_in && !inclusive,
                Ordering::Greater => false,
            },
        };
        if tighter {
            self.upper = Some((version, inclusive));
        }
    }

    pub fn contains(&self, version: &Version) -> bool {
        let above = match &self.lower {
            None => true,
            Some((low, inclusive)) => version > low || (*inclusive && version == low),
        };
        let below = match &self.upper {
            None => true,
            Some((high, inclusive)) => version < high || (*inclusive && version == high),
        };
        above && below
    }

    /// The highest of `available` in the range, prereleases only when allowed, as written.
    pub fn pick<'a>(&self, available: &'a [String], prerelease: bool) -> Option<&'a str> {
        available
            .iter()
            .filter_map(|text| parse_version(text).map(|version| (version, text)))
            .filter(|(version, _)| (prerelease || version.pre.is_empty()) && self.contains(version))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, text)| text.as_str())
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.lower, &self.upper) {
            (Some((low, true)), Some((high, true))) if low == high => write!(f, "={low}"),
            (None, None) => f.write_str("any version"),
            (lower, upper) => {
                let lower = lower
                    .as_ref()
                    .map(|(v, inc)| format!("{}{v}", if *inc { ">=" } else { ">" }));
                let upper = upper
                    .as_ref()
                    .map(|(v, inc)| format!("{}{v}", if *inc { "<=" } else { "<" }));
                let parts: Vec<String> = lower.into_iter().chain(upper).collect();
                f.write_str(&parts.join(", "))
            }
        }
    }
}

/// Whether `version` satisfies every specifier (as `require-dbt-version` asks).
pub fn satisfies(version: &Version, specifiers: &[Specifier]) -> bool {
    Range::reduce(specifiers).is_some_and(|range| range.contains(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(texts: &[&str]) -> Vec<Specifier> {
        texts.iter().map(|t| Specifier::parse(t).unwrap()).collect()
    }

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn parses_dbt_spellings() {
        assert_eq!(Specifier::parse(">=1.0.0").unwrap().op, Op::GreaterOrEqual);
        assert_eq!(Specifier::parse("1.1.1").unwrap().op, Op::Exact);
        assert_eq!(Specifier::parse("=1.1.1").unwrap().to_string(), "1.1.1");
        assert_eq!(parse_version("0.13.0b1").unwrap().pre.as_str(), "b1");
        assert_eq!(parse_version("1.0.0-rc.1").unwrap().pre.as_str(), "rc.1");
        assert!(Specifier::parse("1.0").is_none());
        assert!(Specifier::parse("^1.0.0").is_none());
        assert!(Specifier::parse("01.0.0").is_none());
    }

    #[test]
    fn picks_the_highest_release_in_range() {
        let range = Range::reduce(&specs(&[">=1.0.0", "<2.0.0", ">=0.9.0"])).unwrap();
        let available = strings(&["0.9.6", "1.0.0", "1.1.1", "1.3.0-b1", "2.0.0"]);
        assert_eq!(range.pick(&available, false), Some("1.1.1"));
        assert_eq!(range.pick(&available, true), Some("1.3.0-b1"));
        assert_eq!(range.to_string(), ">=1.0.0, <2.0.0");
    }

    #[test]
    fn exact_and_bounds_intersect() {
        let range = Range::reduce(&specs(&["1.1.1", ">=1.0.0"])).unwrap();
        assert_eq!(range.to_string(), "=1.1.1");
        assert!(Range::reduce(&specs(&["1.1.1", "<1.1.1"])).is_none());
        assert!(Range::reduce(&specs(&[">=2.0.0", "<2.0.0"])).is_none());
        assert!(Range::reduce(&specs(&[">1.0.0", "<=1.0.0"])).is_none());
        assert!(Range::reduce(&specs(&[">=1.0.0", "<=1.0.0"])).is_some());
    }

    #[test]
    fn dbt_version_requirements() {
        let dbt = parse_version("1.11.0").unwrap();
        assert!(satisfies(&dbt, &specs(&[">=1.3.0", "<3.0.0"])));
        assert!(!satisfies(&dbt, &specs(&[">=1.7.0", "<1.10.0"])));
        assert!(satisfies(&dbt, &[]));
    }
}
