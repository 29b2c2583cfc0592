//! The simulation's settings: `simulation.yml` beside the project file, or a `simulation:` block
//! in it. Every field has a default, so an empty file simulates the whole town; unknown keys are
//! errors naming the file and line. The hash of the resolved settings is recorded in the
//! warehouse, so a later call cannot silently continue a world made under other rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Code, Diagnostic};
use crate::project::Project;
use crate::sim::calendar::{self, Day};
use crate::sim::reference::{self, Reference};

/// Every domain, in the order of the daily step: weather, census and the economy first, since
/// they drive the others.
pub const DOMAINS: [&str; 8] = [
    "weather",
    "census",
    "economy",
    "health",
    "retail",
    "transit",
    "utilities",
    "factory",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    pub seed: u64,
    /// The first simulated day, `yyyymmdd` in the Uxcestershire calendar.
    pub start_day: String,
    /// Inhabitants at the start; everything else scales with it.
    pub population: u32,
    /// The domains whose tables are written. Weather, census and the economy always evolve,
    /// since the others depend on them, but write tables only when listed; a listed one holds
    /// back the domains after it (`uxt simulate --domains retail` goes only as far as it).
    pub domains: Vec<String>,
    pub chaos: ChaosConfig,
    pub factory: FactoryConfig,
    pub retail: RetailConfig,
    /// Districts, occupations, products, machines, plans and stores, from the project's seeds.
    #[serde(skip)]
    pub reference: Arc<Reference>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            start_day: "20100101".into(),
            population: 20_000,
            domains: DOMAINS.iter().map(|d| d.to_string()).collect(),
            chaos: ChaosConfig::default(),
            factory: FactoryConfig::default(),
            retail: RetailConfig::default(),
            reference: Reference::builtin(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FactoryConfig {
    /// How many copies of the plant in `seeds/factory_machines.csv` run side by side.
    pub lines: u32,
    /// Whether worn machines are serviced: a degrading one below 80% efficiency, any machine
    /// after 90 days. Without it a degrading machine wears down to half its efficiency.
    pub auto_service: bool,
    /// The fewest and most batches a machine runs in a day.
    pub batches_per_day: [u32; 2],
    /// The mean share of defective units.
    pub defect_rate: f64,
}

impl Default for FactoryConfig {
    fn default() -> Self {
        FactoryConfig {
            lines: 1,
            auto_service: true,
            batches_per_day: [8, 14],
            defect_rate: 0.02,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetailConfig {
    /// Multiplies every customer's purchase frequency.
    pub purchase_rate: f64,
    /// The share of inhabitants who become customers at the start.
    pub initial_customers: f64,
}

impl Default for RetailConfig {
    fn default() -> Self {
        RetailConfig {
            purchase_rate: 1.0,
            initial_customers: 0.3,
        }
    }
}

/// Chaos: `enabled: false` turns every rule off (then raw equals truth); per-domain blocks
/// override single rates. (Unknown domain names are caught by `validate`, since serde cannot
/// deny unknown fields beside a flattened map.)
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosConfig {
    pub enabled: bool,
    #[serde(flatten)]
    pub domains: BTreeMap<String, ChaosRates>,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        ChaosConfig {
            enabled: true,
            domains: BTreeMap::new(),
        }
    }
}

/// The rates of each kind of defect. A domain applies the rules that fit its feeds (see
/// `docs/simulation.md`); unset rates take the domain's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosRates {
    /// Share of event rows delivered twice.
    pub duplicates: Option<f64>,
    /// Share of event rows delivered one or two days late.
    pub late: Option<f64>,
    /// Share of timestamps written in local plant time (UTC−7) instead of UTC.
    pub local_time: Option<f64>,
    /// Share of measured values (sensors, meter reads) that are missing.
    pub nulls: Option<f64>,
    /// Largest clock drift, in minutes, between a device's clock and UTC.
    pub clock_drift_minutes: Option<u32>,
    /// Share of ids written in a non-canonical form (`smelter_01`, `S1`).
    pub id_variants: Option<f64>,
    /// Share of names written with spelling or casing variants.
    pub name_variants: Option<f64>,
}

/// Resolved rates for one domain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    pub duplicates: f64,
    pub late: f64,
    pub local_time: f64,
    pub nulls: f64,
    pub clock_drift_minutes: u32,
    pub id_variants: f64,
    pub name_variants: f64,
}

impl Rates {
    /// The defaults of a domain, from the brief of each source system.
    fn defaults(domain: &str) -> Rates {
        match domain {
            "factory" => Rates {
                duplicates: 0.03,
                late: 0.10,
                local_time: 0.30,
                nulls: 0.075,
                clock_drift_minutes: 5,
                id_variants: 0.5,
                name_variants: 0.5,
            },
            "retail" => Rates {
                duplicates: 0.02,
                late: 0.05,
                name_variants: 0.2,
                ..Rates::default()
            },
            "transit" => Rates {
                duplicates: 0.01,
                late: 0.03,
                clock_drift_minutes: 3,
                ..Rates::default()
            },
            "utilities" => Rates {
                duplicates: 0.01,
                late: 0.05,
                nulls: 0.02,
                ..Rates::default()
            },
            "health" => Rates {
                duplicates: 0.02,
                name_variants: 0.1,
                ..Rates::default()
            },
            "census" => Rates {
                name_variants: 0.05,
                ..Rates::default()
            },
            "economy" => Rates {
                duplicates: 0.01,
                late: 0.05,
                ..Rates::default()
            },
            _ => Rates::default(),
        }
    }
}

impl SimConfig {
    pub fn start(&self) -> Day {
        calendar::parse_ux_date(&self.start_day).unwrap_or(0)
    }

    pub fn enabled(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d == domain)
    }

    pub fn rates(&self, domain: &str) -> Rates {
        if !self.chaos.enabled {
            return Rates::default();
        }
        let mut rates = Rates::defaults(domain);
        if let Some(set) = self.chaos.domains.get(domain) {
            let or = |value: Option<f64>, default: f64| value.unwrap_or(default);
            rates.duplicates = or(set.duplicates, rates.duplicates);
            rates.late = or(set.late, rates.late);
            rates.local_time = or(set.local_time, rates.local_time);
            rates.nulls = or(set.nulls, rates.nulls);
            rates.id_variants = or(set.id_variants, rates.id_variants);
            rates.name_variants = or(set.name_variants, rates.name_variants);
            rates.clock_drift_minutes =
                set.clock_drift_minutes.unwrap_or(rates.clock_drift_minutes);
        }
        rates
    }

    /// A stable hash of everything that shapes the rows: the settings and the reference data.
    /// Which domains are written is left out: a domain's rows do not depend on which others
    /// are, so domains can be added, or run one at a time.
    pub fn hash(&self) -> String {
        let shaping = SimConfig {
            domains: Vec::new(),
            ..self.clone()
        };
        let text = serde_json::to_string(&shaping).expect("the settings serialize to JSON");
        let reference =
            serde_json::to_string(self.reference.as_ref()).expect("seeds serialize to JSON");
        let digest = Sha256::digest(format!("{text}\n{reference}").as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Checks what serde cannot: dates, names and ranges.
    fn validate(&self) -> Result<(), String> {
        if calendar::parse_ux_date(&self.start_day).is_none() {
            return Err(format!(
                "`start_day` `{}` is not a Uxcestershire date: write `yyyymmdd` with a month of 1–12 and a day of 1–30, from 2010",
                self.start_day
            ));
        }
        for domain in &self.domains {
            if !DOMAINS.contains(&domain.as_str()) {
                return Err(format!(
                    "unknown domain `{domain}`; the domains are {}",
                    DOMAINS.join(", ")
                ));
            }
        }
        for domain in self.chaos.domains.keys() {
            if !DOMAINS.contains(&domain.as_str()) {
                return Err(format!(
                    "`chaos` names an unknown domain `{domain}`; the domains are {}",
                    DOMAINS.join(", ")
                ));
            }
        }
        for (domain, rates) in &self.chaos.domains {
            let shares = [
                rates.duplicates,
                rates.late,
                rates.local_time,
                rates.nulls,
                rates.id_variants,
                rates.name_variants,
            ];
            if shares
                .into_iter()
                .flatten()
                .any(|s| !(0.0..=1.0).contains(&s))
            {
                return Err(format!("a chaos rate of `{domain}` is outside 0–1"));
            }
        }
        if self.population < 100 {
            return Err("`population` must be at least 100".into());
        }
        if self.factory.lines == 0 || self.factory.lines > 50 {
            return Err("`factory.lines` must be between 1 and 50".into());
        }
        let [fewest, most] = self.factory.batches_per_day;
        if fewest == 0 || fewest > most || most > 48 {
            return Err(
                "`factory.batches_per_day` must be [fewest, most] with 1 ≤ fewest ≤ most ≤ 48"
                    .into(),
            );
        }
        if !(0.0..=0.2).contains(&self.factory.defect_rate) {
            return Err("`factory.defect_rate` must be between 0 and 0.2".into());
        }
        if !(0.0..=100.0).contains(&self.retail.purchase_rate) {
            return Err("`retail.purchase_rate` must be between 0 and 100".into());
        }
        Ok(())
    }
}

/// Reads the settings: `simulation.yml` beside the project file wins over a `simulation:` block.
pub fn load(project: &Project) -> Result<SimConfig, Diagnostic> {
    let (config, source, name) = if let Some(file_name) = &project.simulation_file {
        let text: Arc<str> = std::fs::read_to_string(project.root.join(file_name))
            .map_err(|e| {
                Diagnostic::new(Code::SimulateConfig, format!("could not read it: {e}"))
                    .in_file(file_name)
            })?
            .into();
        let config = if text.trim().is_empty() {
            Ok(SimConfig::default())
        } else {
            serde_saphyr::from_str::<SimConfig>(&text).map_err(|e| e.to_string())
        };
        (config, text, file_name.clone())
    } else if project.simulation.is_null() {
        return Ok(SimConfig {
            reference: reference::load(project)?,
            ..SimConfig::default()
        });
    } else {
        let config = serde_json::from_value::<SimConfig>(project.simulation.clone())
            .map_err(|e| e.to_string());
        (
            config,
            project.project_file.contents.clone(),
            project.project_file.path.clone(),
        )
    };
    let config = config.and_then(|config| config.validate().map(|()| config));
    let mut config = config.map_err(|message| {
        let first = message.lines().next().unwrap_or_default().to_string();
        let line = line_named(&first)
            .or_else(|| key_named(&first).and_then(|key| line_of_key(&source, &key)))
            .or_else(|| line_of_key(&source, "simulation"))
            .unwrap_or(1);
        Diagnostic::new(
            Code::SimulateConfig,
            format!("invalid simulation settings: {first}"),
        )
        .at_line(&name, source.clone(), line)
        .with_help("see the simulation section of the README for the keys and their defaults")
    })?;
    config.reference = reference::load(project)?;
    Ok(config)
}

/// The line a YAML error names (`line 6 column 3`).
fn line_named(message: &str) -> Option<usize> {
    let index = message.find("line ")?;
    let digits: String = message[index + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The first backticked name in a message (`unknown field `x``, `start_day`).
fn key_named(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_string())
}

fn line_of_key(source: &str, key: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with(':')
        })
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_rates_default_per_domain_and_can_be_overridden_or_turned_off() {
        let config: SimConfig = serde_saphyr::from_str(
            "chaos:\n  factory:\n    duplicates: 0.1\n  retail:\n    late: 0\n",
        )
        .unwrap();
        assert_eq!(config.rates("factory").duplicates, 0.1);
        assert_eq!(config.rates("factory").late, 0.10);
        assert_eq!(config.rates("retail").late, 0.0);
        let off: SimConfig = serde_saphyr::from_str("chaos:\n  enabled: false\n").unwrap();
        assert_eq!(off.rates("factory").duplicates, 0.0);
        assert_ne!(config.hash(), off.hash());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(serde_saphyr::from_str::<SimConfig>("populaton: 5\n").is_err());
        let config: SimConfig = serde_saphyr::from_str("start_day: '20100231'\n").unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .contains("not a Uxcestershire date")
        );
        let config: SimConfig = serde_saphyr::from_str("domains: [factory, mines]\n").unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .contains("unknown domain `mines`")
        );
    }
}
