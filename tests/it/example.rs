//! The repository's own Uxcestershire project: simulated and built green on both engines, and
//! its truth check tells a correct factory pipeline from naive ones.

use crate::engines::{Engine, query};
use crate::harness::Project;

/// A copy of the repository's example project in a temp dir, pointed at `engine`.
pub fn example_project(engine: &Engine) -> Project {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::empty();
    for dir in [
        "project",
        "models",
        "macros",
        "seeds",
        "snapshots",
        "analyses",
        "tests/data",
    ] {
        copy(&root.join(dir), &project.path().join(dir));
    }
    let _ = std::fs::remove_dir_all(project.path().join("project/target"));
    // As in the repository: dbt's file name for the project file, which orchestrators look for.
    std::os::unix::fs::symlink(
        "project/uxt_project.yml",
        project.path().join("dbt_project.yml"),
    )
    .unwrap();
    if let Engine::Postgres(postgres) = engine {
        let dbname = postgres.create_database("uxcestershire");
        project.write(
            "profiles.yml",
            crate::harness::profiles_yml_postgres(postgres, "uxcestershire", &dbname),
        );
    }
    project
}

#[test]
fn example_project_simulates_and_builds_green_on_both_engines() {
    for engine in Engine::all() {
        let project = example_project(&engine);
        let simulated = project.run(&["simulate", "--days", "30"]);
        assert_eq!(simulated.code(), 0, "{simulated:?}");
        let output = project.run(&["build"]);
        assert_eq!(output.code(), 0, "{output:?}");
        for passed in [
            "PASS assert_factory_daily_matches_truth",
            "PASS unique_combination_fct_district_days_district_id__day_serial",
        ] {
            assert!(
                output.stdout().contains(passed),
                "{passed} on {}: {output:?}",
                engine.name()
            );
        }
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('fct_district_days') }}"
            ),
            ["n", "600"]
        );
        // The project's calendar macros agree with the simulator's calendar on every day.
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ source('uxc', 'calendar_days') }} as sim \
                 join {{ ref('ref_calendar') }} as macros on macros.day_serial = sim.day_serial \
                 where macros.ux_date <> sim.ux_date or macros.weekday <> sim.weekday \
                 or macros.season <> sim.season"
            ),
            ["n", "0"]
        );
        // Every chart of the example's dashboards draws on both engines.
        let docs = project.run(&["docs", "generate", "--empty-catalog"]);
        assert_eq!(docs.code(), 0, "{docs:?}");
        let text =
            std::fs::read_to_string(project.path().join("project/target/dashboards.json")).unwrap();
        let dashboards: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut charts = 0;
        for (dashboard, entry) in dashboards["dashboards"].as_object().unwrap() {
            for chart in entry["charts"].as_array().unwrap() {
                charts += 1;
                assert_eq!(
                    chart["status"],
                    "ok",
                    "{} on {}: {chart}",
                    dashboard,
                    engine.name()
                );
            }
        }
        assert!(charts >= 30, "{charts} charts on {}", engine.name());
        let again = project.run(&["run", "--vars", "{horizon_days: 45}"]);
        assert_eq!(again.code(), 0, "{again:?}");
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('fct_district_days') }}"
            ),
            ["n", "900"]
        );
    }
}

/// The warehouse holds up over more than a simulated year: every truth check compares data
/// (the truth tables it reads have rows) and passes, on both engines. A smaller town keeps the
/// run short; its utilities feed misses no reads, since with a dozen meters a district one
/// estimated read moves a day's total past the 2% the check allows (the 30-day test above keeps
/// missed reads at the full town's size).
#[test]
fn four_hundred_days_build_green_with_every_truth_check() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checks: Vec<String> = std::fs::read_dir(root.join("tests/data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| Some(name.strip_suffix(".sql")?.to_string()))
        .filter(|name| {
            ["truth", "ledger", "scd", "reconcile"]
                .iter()
                .any(|word| name.contains(word))
        })
        .collect();
    assert!(checks.len() >= 11, "{checks:?}");
    for engine in Engine::all() {
        let project = example_project(&engine);
        let settings = std::fs::read_to_string(root.join("project/simulation.yml"))
            .unwrap()
            .replace("population: 5000", "population: 600");
        assert!(settings.contains("population: 600"));
        project.write(
            "project/simulation.yml",
            format!("{settings}  utilities:\n    nulls: 0\n"),
        );
        let simulated = project.run(&["simulate", "--days", "400"]);
        assert_eq!(simulated.code(), 0, "{simulated:?}");
        let built = project.run(&["build"]);
        assert_eq!(built.code(), 0, "{built:?}");
        for check in &checks {
            assert!(
                built.stdout().contains(&format!("PASS {check} ")),
                "{check} on {}: {built:?}",
                engine.name()
            );
        }
        for truth in [
            "factory_daily",
            "retail_daily_sales",
            "retail_web_daily",
            "retail_loans_monthly",
            "transit_daily_boardings",
            "utilities_daily",
            "health_claims_monthly",
            "census_population",
            "scd_history",
            "chaos_ledger",
        ] {
            let rows = query(
                &project,
                &format!("select count(*) as n from {{{{ source('uxc_truth', '{truth}') }}}}"),
            );
            assert!(
                rows[1].parse::<u64>().unwrap() > 0,
                "truth.{truth} is empty on {}",
                engine.name()
            );
        }
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ source('uxc_truth', 'retail_loans_monthly') }} where active_loans > 0"
            ),
            ["n", "13"]
        );
    }
}

/// Late rows reach the incremental sales mart: after a second simulated stretch and a second
/// (incremental) build, the orders delivered a day or two late for days the first build had
/// already counted are in it, so the truth check and the orders-against-lines reconciliation
/// still pass; the same mart filtered on the order day instead of the delivery day loses them
/// and fails the same truth check.
#[test]
fn late_rows_reach_the_incremental_sales_mart_across_builds() {
    for engine in Engine::all() {
        let project = example_project(&engine);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let settings = std::fs::read_to_string(root.join("project/simulation.yml"))
            .unwrap()
            .replace("population: 5000", "population: 600");
        project.write(
            "project/simulation.yml",
            // Busier shops, so that the days the first build counted have late orders.
            format!("{settings}  utilities:\n    nulls: 0\nretail:\n  purchase_rate: 8\n"),
        );
        project.write(
            "models/naive/naive_daily_sales_by_order_day.sql",
            "{{ config(materialized='incremental', unique_key=['day_serial', 'store_id', 'product_id']) }}\n\
             select * from {{ ref('int_retail_daily_sales') }}\n\
             {% if is_incremental() %}where day_serial > (select max(day_serial) from {{ this }}){% endif %}\n",
        );
        project.write(
            "tests/data/assert_naive_daily_sales_by_order_day_matches_truth.sql",
            "{{ compare_to_truth(mart=ref('naive_daily_sales_by_order_day'), \
             truth=source('uxc_truth', 'retail_daily_sales'), \
             keys=['day_serial', 'store_id', 'product_id'], \
             measures=['orders', 'quantity', 'revenue_cents'], \
             last_delivered_day=\"(select max(_delivered_day) from \" ~ source('uxc', 'retail_orders') ~ \")\") }}",
        );
        for stretch in ["first", "second"] {
            let simulated = project.run(&["simulate", "--days", "20"]);
            assert_eq!(simulated.code(), 0, "{simulated:?}");
            let built = project.run(&["build"]);
            let naive = built.stdout().lines().find(|line| {
                line.contains("assert_naive_daily_sales_by_order_day_matches_truth ")
                    && (line.contains("PASS") || line.contains("FAIL"))
            });
            if stretch == "first" {
                assert_eq!(built.code(), 0, "{built:?}");
            } else {
                assert_eq!(built.code(), 1, "{built:?}");
                assert!(naive.unwrap().contains("FAIL"), "{built:?}");
                let failed = built
                    .stdout()
                    .lines()
                    .filter(|l| l.contains(" FAIL "))
                    .count();
                assert_eq!(failed, 1, "only the naive mart fails: {built:?}");
            }
            for check in [
                "assert_fct_retail_daily_sales_matches_truth",
                "assert_retail_sales_totals_reconcile_orders_with_lines",
            ] {
                assert!(
                    built.stdout().contains(&format!("PASS {check} ")),
                    "{check} after the {stretch} build on {}: {built:?}",
                    engine.name()
                );
            }
        }
        assert!(
            query(
                &project,
                "select count(*) as n from {{ ref('fct_retail_daily_sales') }} where day_serial >= 19"
            )[1]
            .parse::<u64>()
            .unwrap()
                > 0
        );
    }
}

/// A pipeline that skips one of the cleaning steps lands outside the 2% tolerance: the truth
/// check discriminates, so passing it means something.
#[test]
fn naive_factory_pipelines_fail_the_truth_check() {
    let project = example_project(&Engine::DuckDb);
    let naive = [
        (
            "naive_no_dedupe",
            "select * from {{ ref('stg_uxc__factory_batches') }} \
             union all \
             select b.* from {{ ref('stg_uxc__factory_batches') }} b \
             join (select batch_id from {{ source('uxc', 'factory_batches') }} group by 1 having count(*) > 1) d \
             on d.batch_id = b.batch_id",
        ),
        (
            "naive_on_time_only",
            "select * from {{ ref('stg_uxc__factory_batches') }} where delivered_day = day_serial",
        ),
        (
            "naive_local_time",
            "select b.batch_id, b.machine_id, b.product_id, b.units_produced, b.units_defective, \
             b.energy_kwh, b.delivered_day, {{ day_serial_of('raw.started_at') }} as day_serial \
             from {{ ref('stg_uxc__factory_batches') }} b \
             join (select distinct batch_id, started_at from {{ source('uxc', 'factory_batches') }}) raw \
             on raw.batch_id = b.batch_id",
        ),
    ];
    for (name, batches) in naive {
        project.write(
            format!("models/naive/{name}.sql"),
            format!(
                "select day_serial, machine_id, product_id, count(*) as batches, \
                 sum(units_produced) as units_produced, sum(units_defective) as units_defective, \
                 sum(energy_kwh) as energy_kwh from ({batches}) as batches group by 1, 2, 3"
            ),
        );
        project.write(
            format!("tests/data/assert_{name}_matches_truth.sql"),
            format!(
                "{{{{ compare_to_truth(mart=ref('{name}'), truth=source('uxc_truth', 'factory_daily'), \
                 keys=['day_serial', 'machine_id', 'product_id'], \
                 measures=['batches', 'units_produced', 'units_defective', 'energy_kwh'], \
                 last_delivered_day=\"(select max(_delivered_day) from \" ~ source('uxc', 'factory_batches') ~ \")\") }}}}"
            ),
        );
    }
    let simulated = project.run(&["simulate", "--days", "30"]);
    assert_eq!(simulated.code(), 0, "{simulated:?}");
    let built = project.run(&[
        "build",
        "-s",
        "+fct_factory_daily+",
        "+naive_no_dedupe+",
        "+naive_on_time_only+",
        "+naive_local_time+",
    ]);
    assert_eq!(built.code(), 1, "{built:?}");
    assert!(
        built
            .stdout()
            .contains("PASS assert_factory_daily_matches_truth"),
        "{built:?}"
    );
    for (name, _) in naive {
        let line = built
            .stdout()
            .lines()
            .find(|l| l.contains(&format!("assert_{name}_matches_truth")) && l.contains("FAIL"));
        assert!(line.is_some(), "{name} did not fail: {built:?}");
    }
}

/// The truth checks added for the town's other systems each catch the mistake they are there
/// for: staging that keeps second deliveries, a loan book that forgets when loans ended, a head
/// count that includes the dead, and snapshots stamped with the build's clock.
#[test]
fn naive_pipelines_fail_the_towns_truth_checks() {
    let project = example_project(&Engine::DuckDb);
    project.write(
        "models/staging/retail/stg_uxc__retail_web_sessions.sql",
        "select session_id, customer_id, started_at, device, referrer, day_serial, \
         _delivered_day as delivered_day from {{ source('uxc', 'retail_web_sessions') }}",
    );
    project.write(
        "models/staging/retail/stg_uxc__retail_loans.sql",
        "select loan_id, customer_id, principal_cents, annual_rate_bp, term_months, \
         monthly_payment_cents, start_day, status, cast(null as integer) as ended_day \
         from {{ source('uxc', 'retail_loans') }}",
    );
    project.write(
        "models/marts/census/fct_district_population.sql",
        "select district_id, count(*) as inhabitants, \
         count(distinct household_id) as households \
         from {{ ref('stg_uxc__census_inhabitants') }} group by 1",
    );
    project.write(
        "snapshots/retail_products_snapshot.sql",
        "{% snapshot retail_products_snapshot %}\n\
         {{ config(unique_key='product_id', strategy='check', check_cols=['list_price_cents']) }}\n\
         select product_id, list_price_cents from {{ source('uxc', 'retail_products') }}\n\
         {% endsnapshot %}\n",
    );
    let simulated = project.run(&["simulate", "--days", "40"]);
    assert_eq!(simulated.code(), 0, "{simulated:?}");
    let built = project.run(&["build"]);
    assert_eq!(built.code(), 1, "{built:?}");
    for check in [
        "assert_staging_drops_exactly_the_ledgers_duplicates",
        "assert_fct_retail_loans_monthly_matches_truth",
        "assert_fct_district_population_matches_truth",
        "assert_snapshots_match_scd_history",
    ] {
        assert!(
            built
                .stdout()
                .lines()
                .any(|line| line.contains(check) && line.contains("FAIL")),
            "{check} did not fail: {built:?}"
        );
    }
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
