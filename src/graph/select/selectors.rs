//! `selectors.yml`: named selector definitions in dbt's format, read into the same criteria and
//! sets as the command line, with `method: selector` references inlined. Errors carry the line
//! and column of the offending YAML.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::grammar::{Criteria, Reach, SelectorRef, Spec, parse_expression};
use super::methods::Matcher;
use super::{IndirectSelection, SelectError, did_you_mean, suggest};

/// The named selectors of `selectors.yml`, with `method: selector` references inlined.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    definitions: BTreeMap<String, Spec>,
    default: Option<String>,
}

impl Selectors {
    /// Parses the text of selectors.yml (dbt format: `selectors: [ {name, description, default,
    /// definition} ]`). Errors carry the line and column of the offending YAML.
    pub fn parse(yaml: &str) -> Result<Selectors, SelectError> {
        let file: Option<SelectorsFile> = serde_saphyr::from_str(yaml).map_err(yaml_error)?;
        let mut raw: BTreeMap<String, Spec<SelectorRef>> = BTreeMap::new();
        let mut default: Option<String> = None;
        for entry in file.map(|file| file.selectors).unwrap_or_default() {
            let name = entry.name.value;
            if raw.contains_key(&name) {
                return Err(located(
                    entry.name.referenced,
                    format!("selector `{name}` is defined twice"),
                ));
            }
            if let Some(flag) = entry.default.filter(|flag| flag.value.0) {
                if let Some(first) = &default {
                    return Err(located(
                        flag.referenced,
                        format!("selectors `{first}` and `{name}` both have `default: true`"),
                    ));
                }
                default = Some(name.clone());
            }
            let spec = match entry.definition.value {
                YamlDefinition::Spec(spec) => spec,
                YamlDefinition::ExcludeOnly(_) => {
                    return Err(located(
                        entry.definition.referenced,
                        EXCLUDE_ALONE.to_owned(),
                    ));
                }
            };
            raw.insert(name, spec);
        }
        let mut resolver = Resolver {
            raw: &raw,
            resolved: BTreeMap::new(),
            stack: Vec::new(),
        };
        for name in raw.keys() {
            resolver.resolve_selector(name)?;
        }
        Ok(Selectors {
            definitions: resolver.resolved,
            default,
        })
    }

    /// The one with default: true.
    pub fn default_selector(&self) -> Option<&str> {
        self.default.as_deref()
    }

    pub(super) fn definition(&self, name: &str) -> Option<&Spec> {
        self.definitions.get(name)
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.definitions.keys().map(String::as_str)
    }
}

/// Inlines `method: selector` references, refusing unknown names and cycles.
struct Resolver<'a> {
    raw: &'a BTreeMap<String, Spec<SelectorRef>>,
    resolved: BTreeMap<String, Spec>,
    stack: Vec<String>,
}

impl Resolver<'_> {
    fn resolve_selector(&mut self, name: &str) -> Result<Option<Spec>, SelectError> {
        if let Some(spec) = self.resolved.get(name) {
            return Ok(Some(spec.clone()));
        }
        let Some(raw) = self.raw.get(name) else {
            return Ok(None);
        };
        self.stack.push(name.to_owned());
        let spec = self.resolve(raw)?;
        self.stack.pop();
        self.resolved.insert(name.to_owned(), spec.clone());
        Ok(Some(spec))
    }

    fn resolve(&mut self, spec: &Spec<SelectorRef>) -> Result<Spec, SelectError> {
        Ok(match spec {
            Spec::Everything => Spec::Everything,
            Spec::Criteria(criteria) => Spec::Criteria(criteria.clone()),
            Spec::Union(parts) => Spec::Union(self.resolve_all(parts)?),
            Spec::Intersection(parts) => Spec::Intersection(self.resolve_all(parts)?),
            Spec::Difference(include, exclude) => Spec::Difference(
                Box::new(self.resolve(include)?),
                Box::new(self.resolve(exclude)?),
            ),
            Spec::Selector(reference) => {
                if let Some(start) = self.stack.iter().position(|name| *name == reference.name) {
                    let mut cycle = self.stack[start..].to_vec();
                    cycle.push(reference.name.clone());
                    return Err(located(
                        reference.location,
                        format!(
                            "selectors refer to each other in a cycle: `{}`",
                            cycle.join("` -> `")
                        ),
                    ));
                }
                match self.resolve_selector(&reference.name)? {
                    Some(resolved) => resolved,
                    None => {
                        return Err(located(
                            reference.location,
                            format!(
                                "unknown selector `{}`{}",
                                reference.name,
                                did_you_mean(&suggest(
                                    &reference.name,
                                    self.raw.keys().map(String::as_str)
                                ))
                            ),
                        ));
                    }
                }
            }
        })
    }

    fn resolve_all(&mut self, parts: &[Spec<SelectorRef>]) -> Result<Vec<Spec>, SelectError> {
        parts.iter().map(|part| self.resolve(part)).collect()
    }
}

/// serde-saphyr's error, reworded to lead with its position like [`located`].
fn yaml_error(error: serde_saphyr::Error) -> SelectError {
    let message = error.without_snippet().to_string();
    match error.location() {
        Some(location) => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            located(
                location,
                message.strip_suffix(&suffix).unwrap_or(&message).to_owned(),
            )
        }
        None => SelectError::InvalidSelectorsYaml {
            line: None,
            column: None,
            message,
        },
    }
}

/// A `selectors.yml` error whose message leads with its position, as serde-saphyr's do.
fn located(location: Location, message: String) -> SelectError {
    SelectError::InvalidSelectorsYaml {
        line: Some(location.line()),
        column: Some(location.column()),
        message: format!(
            "line {} column {}: {message}",
            location.line(),
            location.column()
        ),
    }
}

const EXCLUDE_ALONE: &str = "`exclude` needs something to exclude from: put it in a `union` or \
                             `intersection` list, or beside `method` and `value`";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorsFile {
    selectors: Vec<SelectorEntry>,
}

/// `default:` as written, or as its Jinja rendered: dbt's `"{{ target.name == 'prod' }}"` is the
/// text `true` or `false` by the time the file is read.
struct DefaultFlag(bool);

impl<'de> Deserialize<'de> for DefaultFlag {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Flag(bool),
            Text(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Flag(flag) => Ok(DefaultFlag(flag)),
            Written::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(DefaultFlag(true)),
                "false" => Ok(DefaultFlag(false)),
                _ => Err(de::Error::custom(format!(
                    "`default` must be true or false, not `{text}`"
                ))),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorEntry {
    name: Spanned<String>,
    definition: Spanned<YamlDefinition>,
    #[serde(default)]
    default: Option<Spanned<DefaultFlag>>,
    /// Checked to be text, otherwise unused.
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

/// A definition, or an item of a `union`, `intersection` or `exclude` list.
enum YamlDefinition {
    Spec(Spec<SelectorRef>),
    /// `{exclude: [...]}`, which only means something inside a `union`/`intersection` list.
    ExcludeOnly(Spec<SelectorRef>),
}

impl<'de> Deserialize<'de> for YamlDefinition {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DefinitionVisitor)
    }
}

const DEFINITION_KEYS: &[&str] = &[
    "union",
    "intersection",
    "exclude",
    "method",
    "value",
    "children",
    "parents",
    "childrens_parents",
    "children_depth",
    "parents_depth",
    "indirect_selection",
];

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = YamlDefinition;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(
            "a selection expression, or a mapping with `method` and `value`, `union`, \
             `intersection` or `exclude`",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<YamlDefinition, E> {
        // dbt reads a string definition as one criterion, without set operators.
        if text.is_empty() || text.contains(|c: char| c == ',' || c.is_whitespace()) {
            return Err(E::custom(SelectError::InvalidExpression {
                expression: text.to_owned(),
                reason: "a string definition is a single expression; combine several with \
                         `union` or `intersection`"
                    .to_owned(),
            }));
        }
        parse_expression(text)
            .map(|criteria| YamlDefinition::Spec(Spec::criteria(criteria)))
            .map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlDefinition, A::Error> {
        let mut fields = DefinitionFields::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "union" => fields.union = Some(map.next_value()?),
                "intersection" => fields.intersection = Some(map.next_value()?),
                "exclude" => fields.exclude = Some(map.next_value()?),
                "method" => fields.method = Some(map.next_value()?),
                "value" => fields.value = Some(map.next_value()?),
                "children" => fields.children = map.next_value()?,
                "parents" => fields.parents = map.next_value()?,
                "childrens_parents" => fields.childrens_parents = map.next_value()?,
                "children_depth" => fields.children_depth = Some(map.next_value()?),
                "parents_depth" => fields.parents_depth = Some(map.next_value()?),
                "indirect_selection" => {
                    let mode = map.next_value::<String>()?;
                    fields.indirect = Some(IndirectSelection::parse(&mode).ok_or_else(|| {
                        de::Error::custom(format!(
                            "`indirect_selection: {mode}` is not one of `{}`",
                            IndirectSelection::NAMES.join("`, `")
                        ))
                    })?);
                }
                _ => fields.other.push((key.clone(), map.next_value()?)),
            }
            fields.keys.push(key);
        }
        fields.build().map_err(de::Error::custom)
    }
}

/// The keys of one definition mapping, collected before their meaning is known.
#[derive(Default)]
struct DefinitionFields {
    keys: Vec<String>,
    union: Option<Vec<YamlDefinition>>,
    intersection: Option<Vec<YamlDefinition>>,
    exclude: Option<Vec<YamlDefinition>>,
    method: Option<String>,
    value: Option<Spanned<Scalar>>,
    children: bool,
    parents: bool,
    childrens_parents: bool,
    children_depth: Option<DepthValue>,
    parents_depth: Option<DepthValue>,
    indirect: Option<IndirectSelection>,
    /// Unknown keys: the `{tag: nightly}` shorthand when alone, else typos.
    other: Vec<(String, Spanned<Loose>)>,
}

impl DefinitionFields {
    fn build(mut self) -> Result<YamlDefinition, String> {
        if let Some(items) = self.union.take() {
            self.only_key("union")?;
            return set_operation(items, Spec::Union).map(YamlDefinition::Spec);
        }
        if let Some(items) = self.intersection.take() {
            self.only_key("intersection")?;
            return set_operation(items, Spec::Intersection).map(YamlDefinition::Spec);
        }
        let exclude = match self.exclude.take().map(exclusions).transpose()? {
            Some(exclude) if self.keys == ["exclude"] => {
                return Ok(YamlDefinition::ExcludeOnly(exclude));
            }
            exclude => exclude,
        };
        let (method, value) = match (self.method.take(), self.value.take(), &self.other[..]) {
            (Some(method), Some(value), []) => (method, value),
            (None, None, [(key, value)]) if self.keys.len() == 1 => {
                let scalar = value
                    .value
                    .0
                    .clone()
                    .ok_or_else(|| format!("unknown key `{key}`{}", key_suggestion(key)))?;
                let value = Spanned {
                    value: Scalar(scalar),
                    referenced: value.referenced,
                    defined: value.defined,
                };
                (key.clone(), value)
            }
            (_, _, [(key, _), ..]) => {
                return Err(format!("unknown key `{key}`{}", key_suggestion(key)));
            }
            (Some(method), None, []) => return Err(format!("`method: {method}` needs a `value`")),
            _ => {
                return Err(format!(
                    "expected `method` and `value`, `union`, `intersection` or a single \
                     `method: value` key, found `{}`",
                    self.keys.join("`, `")
                ));
            }
        };
        let base = if method == "selector" {
            if self.children || self.parents || self.childrens_parents {
                return Err("graph operators cannot apply to `method: selector`".to_owned());
            }
            Spec::Selector(SelectorRef {
                name: value.value.0,
                location: value.referenced,
            })
        } else {
            let expression = format!("{method}:{}", value.value.0);
            let depth = |depth: Option<DepthValue>| depth.map_or(Reach::All, |d| Reach::Depth(d.0));
            if self.childrens_parents && self.children {
                return Err(format!(
                    "`childrens_parents` and `children` cannot be combined in `{expression}`"
                ));
            }
            Spec::criteria(Criteria {
                matcher: Matcher::new(&method, &value.value.0, &expression)
                    .map_err(|error| error.to_string())?,
                expression,
                childrens_parents: self.childrens_parents,
                parents: self.parents.then(|| depth(self.parents_depth)),
                children: self.children.then(|| depth(self.children_depth)),
                indirect: self.indirect,
            })
        };
        Ok(YamlDefinition::Spec(match exclude {
            Some(exclude) => Spec::Difference(Box::new(base), Box::new(exclude)),
            None => base,
        }))
    }

    fn only_key(&self, key: &str) -> Result<(), String> {
        match self.keys.iter().find(|other| *other != key) {
            Some(other) => Err(format!("`{key}` cannot have sibling keys, found `{other}`")),
            None => Ok(()),
        }
    }
}

fn key_suggestion(key: &str) -> String {
    did_you_mean(&suggest(key, DEFINITION_KEYS.iter().copied()))
}

/// The items of a `union`/`intersection` list: the includes combined by `combine`, less the
/// list's one `exclude` item.
fn set_operation(
    items: Vec<YamlDefinition>,
    combine: fn(Vec<Spec<SelectorRef>>) -> Spec<SelectorRef>,
) -> Result<Spec<SelectorRef>, String> {
    let mut includes = Vec::new();
    let mut exclude = None;
    for item in items {
        match item {
            YamlDefinition::Spec(spec) => includes.push(spec),
            YamlDefinition::ExcludeOnly(spec) => {
                if exclude.replace(spec).is_some() {
                    return Err("a `union` or `intersection` takes one `exclude` item".to_owned());
                }
            }
        }
    }
    let combined = combine(includes);
    Ok(match exclude {
        Some(exclude) => Spec::Difference(Box::new(combined), Box::new(exclude)),
        None => combined,
    })
}

/// An `exclude:` list: its items' union.
fn exclusions(items: Vec<YamlDefinition>) -> Result<Spec<SelectorRef>, String> {
    let mut specs = items
        .into_iter()
        .map(|item| match item {
            YamlDefinition::Spec(spec) => Ok(spec),
            YamlDefinition::ExcludeOnly(_) => Err("`exclude` cannot be nested in `exclude`"),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if specs.len() == 1 {
        specs.remove(0)
    } else {
        Spec::Union(specs)
    })
}

/// A YAML scalar as text: `value: 1` and `value: true` are compared as strings.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LooseVisitor)?
            .0
            .map(Scalar)
            .ok_or_else(|| de::Error::custom("expected a text, number or boolean value"))
    }
}

/// Any YAML value: its text if it is a scalar, `None` for a sequence, mapping or null.
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Loose, E> {
        Ok(Loose(Some(text.to_owned())))
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Loose, E> {
        Ok(Loose(Some(flag.to_string())))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

/// `children_depth`/`parents_depth`: a number, or digits as text as dbt also accepts.
struct DepthValue(u32);

impl<'de> Deserialize<'de> for DepthValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Scalar::deserialize(deserializer)?.0;
        text.parse()
            .map(DepthValue)
            .map_err(|_| de::Error::custom(format!("expected a depth (0 or more), found `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::cases::{expand, fixture, short_names};
    use super::*;

    const SELECTORS_YML: &str = r#"
selectors:
  - name: nightly_views
    description: Views refreshed every night
    definition:
      intersection:
        - tag:nightly
        - method: config.materialized
          value: view
  - name: finance_upstream
    default: true
    definition:
      method: fqn
      value: fct_orders
      parents: true
      parents_depth: 1
      indirect_selection: cautious
      exclude:
        - stg_invoices
  - name: staging_no_people
    definition:
      union:
        - method: path
          value: models/staging
          children: true
          children_depth: "1"
        - exclude:
            - stg_people
            - source: raw
  - name: shorthand
    definition:
      tag: finance
  - name: reuse
    definition:
      union:
        - method: selector
          value: nightly_views
        - "@stg_invoices"
  - name: nested
    definition:
      union:
        - intersection:
            - resource_type:model
            - path:models/marts
        - method: selector
          value: shorthand
"#;

    #[test]
    fn selectors_yml_definitions_select_like_the_cli() {
        let graph = fixture();
        let selectors = Selectors::parse(SELECTORS_YML).expect("the example is valid");
        assert_eq!(selectors.default_selector(), Some("finance_upstream"));
        let cases = [
            ("nightly_views", "stg_people unique_stg_people_id"),
            // Cautious: the relationships test also needs `dim_people`.
            (
                "finance_upstream",
                "fct_orders int_orders_enriched not_null_fct_orders_order_id \
                 assert_positive_totals",
            ),
            (
                "staging_no_people",
                "billing.invoices stg_orders stg_invoices int_orders_enriched dim_people \
                 people_snapshot fct_orders fct_tests",
            ),
            ("shorthand", "stg_invoices fct_orders fct_tests"),
            ("reuse", "* -people_snapshot -util_dates"),
            ("nested", "fct_orders dim_people fct_tests stg_invoices"),
        ];
        for (name, expected) in cases {
            let selected = graph
                .select_by_selector(&selectors, name, IndirectSelection::Eager)
                .expect("the selector exists");
            assert_eq!(
                short_names(&graph, &selected),
                expand(&graph, expected),
                "`{name}`"
            );
        }
        let error = graph
            .select_by_selector(&selectors, "nightly_view", IndirectSelection::Eager)
            .expect_err("no such selector");
        assert_eq!(
            error.to_string(),
            "unknown selector `nightly_view`; did you mean `nightly_views`?"
        );
    }

    #[test]
    fn empty_selectors_yml_has_no_selectors() {
        let selectors = Selectors::parse("# nothing yet\n").expect("a comment is valid");
        assert_eq!(selectors.default_selector(), None);
        assert!(
            fixture()
                .select_by_selector(&selectors, "any", IndirectSelection::Eager)
                .is_err()
        );
    }

    /// `(selectors.yml, line of the error, text the message must contain)`. Mistakes inside a
    /// definition mapping point at the mapping.
    #[rustfmt::skip]
    const MALFORMED: &[(&str, u64, &str)] = &[
        ("selectors:\n  - name: a\n    definition: \"tag:x\n  - name: b\n", 3, "unclosed quote"),
        ("selectors:\n  - name: a\n    definition: [tag:x\n", 3, "invalid type: sequence"),
        ("selectors:\n  - name: a\n    defintion: tag:x\n", 3, "unknown field `defintion`"),
        ("selectors:\n  - name: a\n", 2, "missing field `definition`"),
        ("selectors:\n  - name: a\n    definition:\n      union:\n        - tag:x\n        - tga:y\n",
            6, "unknown selection method `tga` in `tga:y`; did you mean `tag`?"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n      valeu: x\n",
            4, "unknown key `valeu`; did you mean `value`?"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n", 4, "`method: tag` needs a `value`"),
        ("selectors:\n  - name: a\n    definition: tag:x tag:y\n", 3, "a string definition is a single expression"),
        ("selectors:\n  - name: a\n    definition:\n      exclude:\n        - tag:x\n",
            4, "`exclude` needs something to exclude from"),
        ("selectors:\n  - name: a\n    definition:\n      union:\n        - tag:x\n        - exclude: [tag:y]\n        - exclude: [tag:z]\n",
            4, "takes one `exclude` item"),
        ("selectors:\n  - name: a\n    definition:\n      union: [tag:x]\n      description: y\n",
            4, "`union` cannot have sibling keys"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      children_depth: deep\n",
            6, "expected a depth"),
        ("selectors:\n  - name: a\n    definition:\n      method: selector\n      value: nightly_view\n  - name: nightly_views\n    definition: tag:nightly\n",
            5, "unknown selector `nightly_view`; did you mean `nightly_views`?"),
        ("selectors:\n  - name: a\n    definition: {method: selector, value: b}\n  - name: b\n    definition:\n      union:\n        - method: selector\n          value: a\n",
            8, "selectors refer to each other in a cycle: `a` -> `b` -> `a`"),
        ("selectors:\n  - name: a\n    definition: tag:x\n  - name: a\n    definition: tag:y\n",
            4, "selector `a` is defined twice"),
        ("selectors:\n  - name: a\n    default: true\n    definition: tag:x\n  - name: b\n    default: true\n    definition: tag:y\n",
            6, "selectors `a` and `b` both have `default: true`"),
    ];

    #[test]
    fn malformed_selectors_yml_points_at_the_line() {
        for (yaml, line, expected) in MALFORMED {
            match Selectors::parse(yaml) {
                Ok(_) => panic!("accepted:\n{yaml}"),
                Err(SelectError::InvalidSelectorsYaml {
                    line: actual_line,
                    message,
                    ..
                }) => {
                    assert_eq!(actual_line, Some(*line), "{message}\n{yaml}");
                    assert!(message.contains(expected), "`{message}` lacks `{expected}`");
                    assert!(
                        message.starts_with(&format!("line {line} column ")),
                        "`{message}` does not start with its position"
                    );
                }
                Err(other) => panic!("unexpected error `{other}` for\n{yaml}"),
            }
        }
    }
}
