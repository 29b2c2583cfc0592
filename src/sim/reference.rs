//! The town's reference data: districts, occupations, products, machines, plans and stores. They
//! come from the project's seeds (`seeds/districts.csv`, `seeds/occupations.csv`...), so a user
//! changes the town by editing them; a project without one of them gets the example project's
//! file, built in. The data is part of the settings' hash, so a world is never continued under
//! other reference data.

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic};
use crate::project::Project;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    pub district_id: u32,
    pub district_name: String,
    pub zone: String,
    pub postal_prefix: String,
    /// The share of the town's streets (and so of its dwellings) in the district.
    pub target_share: f64,
}

/// A job at one employer: its workplace, how many of the town's workers hold it, its pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occupation {
    pub occupation_id: u32,
    pub occupation_name: String,
    pub employer_code: String,
    pub employer_name: String,
    pub sector: String,
    /// Where the work is; none for work done at home or on the road.
    pub workplace_district_id: Option<u32>,
    pub share_of_workers: f64,
    pub monthly_wage_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetailProduct {
    pub product_id: u32,
    pub sku: String,
    pub product_name: String,
    /// Products of a category are listed most popular first.
    pub category: String,
    pub list_price_cents: i64,
    /// The share of sold lines that come back.
    pub return_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetailStore {
    pub store_id: u32,
    pub store_name: String,
    pub store_format: String,
    /// None for the web shop.
    pub district_id: Option<u32>,
    pub opened_day: i32,
    pub open_minute: u32,
    pub close_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactoryProduct {
    pub product_id: u32,
    pub canonical_name: String,
    pub tier: String,
    /// Units of the previous tier one unit consumes.
    pub input_ratio: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactoryMachine {
    pub machine_id: u32,
    pub machine_code: String,
    pub machine_type: String,
    pub production_line: u32,
    /// What it makes.
    pub product_id: u32,
    pub base_rate_per_hour: u32,
    pub kwh_per_unit: f64,
    pub initial_efficiency: f64,
    /// The share of its efficiency it loses each day until serviced.
    pub degradation_per_day: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthPlan {
    pub plan_id: u32,
    pub plan_name: String,
    pub metal_tier: String,
    pub monthly_premium_cents: i64,
    pub deductible_cents: i64,
    pub oop_max_cents: i64,
    pub coinsurance_bp: i64,
    /// The share of new policies that choose the plan.
    pub enrollment_share: f64,
}

/// Everything the simulator takes from seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    pub districts: Vec<District>,
    pub occupations: Vec<Occupation>,
    pub retail_products: Vec<RetailProduct>,
    pub retail_stores: Vec<RetailStore>,
    pub factory_products: Vec<FactoryProduct>,
    pub factory_machines: Vec<FactoryMachine>,
    pub health_plans: Vec<HealthPlan>,
}

/// The seed files, with the example project's contents built in.
const FILES: [(&str, &str); 7] = [
    ("districts.csv", include_str!("../../seeds/districts.csv")),
    (
        "occupations.csv",
        include_str!("../../seeds/occupations.csv"),
    ),
    (
        "retail_products.csv",
        include_str!("../../seeds/retail_products.csv"),
    ),
    (
        "retail_stores.csv",
        include_str!("../../seeds/retail_stores.csv"),
    ),
    (
        "factory_products.csv",
        include_str!("../../seeds/factory_products.csv"),
    ),
    (
        "factory_machines.csv",
        include_str!("../../seeds/factory_machines.csv"),
    ),
    (
        "health_plans.csv",
        include_str!("../../seeds/health_plans.csv"),
    ),
];

/// The first district id; districts are numbered on from it.
pub const FIRST_DISTRICT: u32 = 301;
/// The town has twenty districts (its transit network is laid out over them).
pub const DISTRICT_COUNT: usize = 20;
pub const WEB_STORE: u32 = 701;
pub const FIRST_PLAN: u32 = 901;

impl Default for Reference {
    fn default() -> Self {
        Reference::builtin().as_ref().clone()
    }
}

impl Reference {
    /// The example project's reference data.
    pub fn builtin() -> Arc<Reference> {
        static BUILTIN: OnceLock<Arc<Reference>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let text = |name: &str| -> (String, String) {
                    let (file, contents) = FILES
                        .iter()
                        .find(|(file, _)| *file == name)
                        .expect("a built-in seed");
                    builtin_file(file, contents)
                };
                let reference = read(&text).expect("the built-in seeds are valid");
                Arc::new(reference)
            })
            .clone()
    }

    pub fn district(&self, id: u32) -> &District {
        &self.districts[(id - FIRST_DISTRICT) as usize]
    }

    /// The occupation index (from 1; 0 is no job) of an employer's code.
    pub fn employer(&self, code: &str) -> Option<u8> {
        self.occupations
            .iter()
            .position(|o| o.employer_code == code)
            .map(|index| index as u8 + 1)
    }
}

/// The project's reference data: each seed it has, else the built-in file of that name.
pub fn load(project: &Project) -> Result<Arc<Reference>, Diagnostic> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut own = false;
    for (name, builtin) in FILES {
        match seed_file(project, name) {
            Some(path) => {
                own = true;
                let contents =
                    std::fs::read_to_string(project.root.join(&path)).map_err(|error| {
                        Diagnostic::new(
                            Code::SimulateReference,
                            format!("could not read `{path}`: {error}"),
                        )
                        .in_file(path.as_str())
                    })?;
                files.push((path, contents));
            }
            None => files.push(builtin_file(name, builtin)),
        }
    }
    if !own {
        return Ok(Reference::builtin());
    }
    let text = |name: &str| -> (String, String) {
        let index = FILES
            .iter()
            .position(|(file, _)| *file == name)
            .expect("a seed the simulator reads");
        files[index].clone()
    };
    read(&text).map(Arc::new)
}

/// The project's seed called `name` (the first in path order), relative to its root.
fn seed_file(project: &Project, name: &str) -> Option<String> {
    project.paths.seed.iter().find_map(|dir| {
        walkdir::WalkDir::new(project.root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .find(|entry| entry.file_type().is_file() && entry.file_name() == name)
            .and_then(|entry| {
                let relative = entry.path().strip_prefix(&project.root).ok()?;
                Some(relative.to_string_lossy().replace('\\', "/"))
            })
    })
}

fn builtin_file(name: &str, contents: &str) -> (String, String) {
    (format!("(built in) seeds/{name}"), contents.to_string())
}

/// Reads and checks every file; `text` gives a file's path and contents by name.
fn read(text: &dyn Fn(&str) -> (String, String)) -> Result<Reference, Diagnostic> {
    let reference = Reference {
        districts: rows(text("districts.csv"))?,
        occupations: rows(text("occupations.csv"))?,
        retail_products: rows(text("retail_products.csv"))?,
        retail_stores: rows(text("retail_stores.csv"))?,
        factory_products: rows(text("factory_products.csv"))?,
        factory_machines: rows(text("factory_machines.csv"))?,
        health_plans: rows(text("health_plans.csv"))?,
    };
    check(&reference, text)?;
    Ok(reference)
}

fn rows<T: DeserializeOwned>((path, contents): (String, String)) -> Result<Vec<T>, Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(contents.as_bytes());
    let mut rows = Vec::new();
    for row in reader.deserialize::<T>() {
        let row = row.map_err(|error| {
            let line = error.position().map_or(1, |p| p.line() as usize);
            let message = match error.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => error.to_string(),
            };
            Diagnostic::new(
                Code::SimulateReference,
                format!("the simulator cannot read this seed: {message}"),
            )
            .at_line(&path, contents.as_str().into(), line)
            .with_help("the simulator reads its town from this file; see the README's simulation section for its columns")
        })?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Diagnostic::new(
            Code::SimulateReference,
            format!("`{path}` has no rows, and the simulator needs at least one"),
        )
        .in_file(&path));
    }
    Ok(rows)
}

/// What the simulation relies on beyond the columns' types.
fn check(reference: &Reference, text: &dyn Fn(&str) -> (String, String)) -> Result<(), Diagnostic> {
    let problem = |file: &str, row: usize, message: String| {
        let (path, contents) = text(file);
        Diagnostic::new(Code::SimulateReference, message)
            .at_line(&path, contents.as_str().into(), row + 2)
            .with_help("the simulator reads its town from this file; see the README's simulation section for its columns")
    };
    if reference.districts.len() != DISTRICT_COUNT {
        return Err(problem(
            "districts.csv",
            reference.districts.len().saturating_sub(1),
            format!(
                "the town has {DISTRICT_COUNT} districts, numbered {FIRST_DISTRICT}–{}; this file has {}",
                FIRST_DISTRICT + DISTRICT_COUNT as u32 - 1,
                reference.districts.len()
            ),
        ));
    }
    for (index, district) in reference.districts.iter().enumerate() {
        if district.district_id != FIRST_DISTRICT + index as u32 {
            return Err(problem(
                "districts.csv",
                index,
                format!(
                    "district {} is listed where {} belongs: list the districts {FIRST_DISTRICT}–{} in order",
                    district.district_id,
                    FIRST_DISTRICT + index as u32,
                    FIRST_DISTRICT + DISTRICT_COUNT as u32 - 1
                ),
            ));
        }
        if !["urban", "suburban", "rural"].contains(&district.zone.as_str()) {
            return Err(problem(
                "districts.csv",
                index,
                format!("zone `{}` is not urban, suburban or rural", district.zone),
            ));
        }
        if district.target_share.is_nan() || district.target_share <= 0.0 {
            return Err(problem(
                "districts.csv",
                index,
                "`target_share` must be above 0".into(),
            ));
        }
    }
    let district_ok = |id: Option<u32>| {
        id.is_none_or(|id| (FIRST_DISTRICT..FIRST_DISTRICT + DISTRICT_COUNT as u32).contains(&id))
    };
    for (index, occupation) in reference.occupations.iter().enumerate() {
        if !district_ok(occupation.workplace_district_id) || occupation.share_of_workers < 0.0 {
            return Err(problem(
                "occupations.csv",
                index,
                "`workplace_district_id` must be a district (or empty) and `share_of_workers` at least 0".into(),
            ));
        }
    }
    if reference.occupations.len() > 250 {
        return Err(problem(
            "occupations.csv",
            250,
            "the simulator knows at most 250 occupations".into(),
        ));
    }
    for (index, store) in reference.retail_stores.iter().enumerate() {
        let expected = WEB_STORE + index as u32;
        let online = store.store_format == "online";
        if store.store_id != expected || online != (index == 0) {
            return Err(problem(
                "retail_stores.csv",
                index,
                format!(
                    "stores are numbered from {WEB_STORE}, the web shop (format `online`) first and only it: `{}` should be {expected}",
                    store.store_id
                ),
            ));
        }
        if online != store.district_id.is_none() || !district_ok(store.district_id) {
            return Err(problem(
                "retail_stores.csv",
                index,
                "a physical store is in a district; the web shop has none".into(),
            ));
        }
        if store.open_minute >= store.close_minute || store.close_minute > 1440 {
            return Err(problem(
                "retail_stores.csv",
                index,
                "opening hours must run from `open_minute` to a later `close_minute`, within the day (0–1440)".into(),
            ));
        }
    }
    if reference.retail_stores.len() < 2 {
        return Err(problem(
            "retail_stores.csv",
            0,
            "the retailer needs the web shop and at least one store".into(),
        ));
    }
    let mut categories: Vec<&str> = Vec::new();
    for (index, product) in reference.retail_products.iter().enumerate() {
        if !categories.contains(&product.category.as_str()) {
            categories.push(&product.category);
        }
        if product.list_price_cents <= 0 || !(0.0..=1.0).contains(&product.return_rate) {
            return Err(problem(
                "retail_products.csv",
                index,
                "`list_price_cents` must be above 0 and `return_rate` within 0–1".into(),
            ));
        }
    }
    if categories.len() > 250 {
        return Err(problem(
            "retail_products.csv",
            0,
            "the simulator knows at most 250 categories".into(),
        ));
    }
    for (index, plan) in reference.health_plans.iter().enumerate() {
        if plan.plan_id != FIRST_PLAN + index as u32 {
            return Err(problem(
                "health_plans.csv",
                index,
                format!(
                    "plans are numbered from {FIRST_PLAN} in order: `{}` should be {}",
                    plan.plan_id,
                    FIRST_PLAN + index as u32
                ),
            ));
        }
        if plan.enrollment_share < 0.0 || plan.coinsurance_bp < 0 || plan.coinsurance_bp > 10_000 {
            return Err(problem(
                "health_plans.csv",
                index,
                "`enrollment_share` must be at least 0 and `coinsurance_bp` within 0–10000".into(),
            ));
        }
    }
    for (index, machine) in reference.factory_machines.iter().enumerate() {
        let makes = reference
            .factory_products
            .iter()
            .any(|p| p.product_id == machine.product_id);
        if !["smelter", "assembler"].contains(&machine.machine_type.as_str()) || !makes {
            return Err(problem(
                "factory_machines.csv",
                index,
                "`machine_type` must be smelter or assembler, and `product_id` a product of `factory_products.csv`".into(),
            ));
        }
        let efficiency = machine.initial_efficiency;
        if efficiency.is_nan()
            || efficiency <= 0.0
            || efficiency > 1.0
            || !(0.0..1.0).contains(&machine.degradation_per_day)
        {
            return Err(problem(
                "factory_machines.csv",
                index,
                "`initial_efficiency` must be within 0–1 (above 0) and `degradation_per_day` below 1".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_town_is_the_example_projects_seeds() {
        let reference = Reference::builtin();
        assert_eq!(reference.districts.len(), 20);
        assert_eq!(reference.district(302).district_name, "Foundry Quarter");
        assert_eq!(reference.employer("UXFSI"), Some(2));
        assert_eq!(reference.retail_stores[0].store_format, "online");
        let shares: f64 = reference.districts.iter().map(|d| d.target_share).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    }

    #[test]
    fn a_bad_seed_names_its_file_and_line() {
        let text = |name: &str| -> (String, String) {
            if name == "health_plans.csv" {
                (
                    "seeds/health_plans.csv".into(),
                    "plan_id,plan_name,metal_tier,monthly_premium_cents,deductible_cents,oop_max_cents,coinsurance_bp,enrollment_share\n901,A,bronze,1,1,1,100,0.5\n902,B,silver,lots,1,1,100,0.5\n".into(),
                )
            } else {
                let (_, contents) = FILES.iter().find(|(file, _)| *file == name).unwrap();
                (name.into(), contents.to_string())
            }
        };
        let error = read(&text).unwrap_err();
        let rendered = format!("{error:?}");
        assert!(rendered.contains("seeds/health_plans.csv"), "{rendered}");
        assert!(
            rendered.contains("monthly_premium_cents") || rendered.contains("invalid digit"),
            "{rendered}"
        );
    }
}
