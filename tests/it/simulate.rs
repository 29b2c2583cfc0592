//! `uxt simulate`: determinism across calls and engines, resuming after a killed process,
//! chaos rates, raw equals truth without chaos, the `uxc` source, and settings errors.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engines::{Engine, query};
use crate::harness::{Postgres, Project, profiles_yml_postgres, uxt};

/// Every table `uxt simulate` writes, with its rows as CSV lines in a stable order.
fn tables(project: &Project) -> BTreeMap<String, Vec<String>> {
    let names = query(
        project,
        "select table_schema || '.' || table_name as t from information_schema.tables \
         where table_schema in ('raw', 'truth') order by 1",
    );
    names
        .iter()
        .skip(1)
        .map(|table| {
            let mut rows = query(project, &format!("select * from {table}"));
            rows.sort();
            (table.clone(), rows)
        })
        .collect()
}

fn simulate(project: &Project, args: &[&str]) {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    let output = project.run(&all);
    assert_eq!(output.code(), 0, "{output:?}");
}

#[test]
fn ten_then_twenty_days_equal_thirty_at_once_on_both_engines() {
    let mut per_engine = Vec::new();
    for engine in Engine::all() {
        let split = engine.project("town", "town");
        simulate(&split, &["--days", "10"]);
        simulate(&split, &["--days", "20"]);
        let whole = engine.project("town", "town");
        simulate(&whole, &["--days", "30"]);
        let split_tables = tables(&split);
        let whole_tables = tables(&whole);
        assert!(split_tables.len() > 15, "{:?}", split_tables.keys());
        for (table, rows) in &whole_tables {
            assert_eq!(
                split_tables.get(table),
                Some(rows),
                "{table} differs between 10+20 days and 30 days on {}",
                engine.name()
            );
        }
        assert_eq!(
            query(
                &whole,
                "select min(day_serial) as a, max(day_serial) as b, count(*) as n from raw.calendar_days"
            ),
            ["a,b,n", "0,29,30"]
        );
        per_engine.push((engine.name(), whole_tables));
    }
    if let [(_, duckdb), (_, postgres)] = per_engine.as_slice() {
        for (table, rows) in duckdb {
            assert_eq!(
                postgres.get(table),
                Some(rows),
                "{table} differs between DuckDB and Postgres"
            );
        }
    }
}

#[test]
fn another_seed_gives_other_rows_and_a_domain_leaves_the_others_unchanged() {
    let town = |domains: &str| {
        let project = Engine::DuckDb.project("town", "town");
        project.write(
            "simulation.yml",
            format!("seed: 7\npopulation: 600\ndomains: [{domains}]\n"),
        );
        project
    };
    let first = town("factory");
    simulate(&first, &["--days", "3"]);
    let other_seed = town("factory");
    simulate(&other_seed, &["--days", "3", "--seed", "8"]);
    let more_domains = town("factory, weather, retail");
    simulate(&more_domains, &["--days", "3"]);
    let batches = |project: &Project| {
        let mut rows = query(project, "select * from raw.factory_batches");
        rows.sort();
        rows
    };
    assert_ne!(batches(&first), batches(&other_seed));
    assert_eq!(batches(&first), batches(&more_domains));
    assert_eq!(
        query(&first, "select count(*) as n from raw.weather_daily"),
        ["n", "0"]
    );
}

/// An orchestrator can run each aspect of the town as its own step: a domain goes as far as
/// the domains it draws from have gone, and the rows are those of the whole town at once.
#[test]
fn one_domain_at_a_time_equals_the_whole_town_and_waits_for_its_upstream() {
    let whole = Engine::DuckDb.project("town", "town");
    simulate(&whole, &["--days", "8"]);
    let stepwise = Engine::DuckDb.project("town", "town");
    let early = stepwise.run(&["simulate", "--domains", "retail", "--days", "8"]);
    assert_eq!(early.code(), 0, "{early:?}");
    assert!(
        early.stdout().contains("`retail` goes no further"),
        "{early:?}"
    );
    assert_eq!(
        query(&stepwise, "select count(*) as n from raw.retail_orders"),
        ["n", "0"]
    );
    for domain in ["weather", "census", "economy"] {
        simulate(&stepwise, &["--domains", domain, "--days", "8"]);
    }
    simulate(&stepwise, &["--domains", "retail", "--days", "3"]);
    simulate(
        &stepwise,
        &["--domains", "retail,health", "--until", "20100108"],
    );
    simulate(
        &stepwise,
        &["--domains", "transit,utilities,factory", "--days", "8"],
    );
    let (stepwise_tables, whole_tables) = (tables(&stepwise), tables(&whole));
    assert_eq!(stepwise_tables.len(), whole_tables.len());
    for (table, rows) in &whole_tables {
        assert_eq!(stepwise_tables.get(table), Some(rows), "{table} differs");
    }
    assert_eq!(
        query(&stepwise, "select current_day from uxt_sim.state"),
        ["current_day", "8"]
    );
}

#[test]
fn a_killed_simulation_leaves_no_partial_day_and_resumes_exactly() {
    for engine in Engine::all() {
        let project = engine.project("town", "town");
        let mut child = uxt()
            .args(["simulate", "--days", "400", "--project-dir"])
            .arg(project.path())
            .current_dir(project.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it while it works: after its first loaded transaction, in the middle of the next.
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let first_load = std::io::BufRead::lines(stdout)
            .map_while(Result::ok)
            .find(|line| line.contains("loaded"));
        assert!(
            first_load.is_some(),
            "no day was loaded on {}",
            engine.name()
        );
        std::thread::sleep(Duration::from_millis(300));
        child.kill().unwrap();
        child.wait().unwrap();
        let state = query(&project, "select current_day from uxt_sim.state");
        let current: u32 = state[1].parse().unwrap();
        assert!(
            current > 0 && current < 400,
            "{state:?} on {}",
            engine.name()
        );
        // Every table holds whole days only: nothing delivered on or after the current day.
        assert_eq!(
            query(
                &project,
                &format!(
                    "select (select count(*) from raw.calendar_days) as days, \
                     (select count(*) from uxt_sim.days) as logged, \
                     (select count(*) from raw.factory_batches where _delivered_day >= {current}) as beyond"
                )
            ),
            [
                "days,logged,beyond".to_string(),
                format!("{current},{current},0")
            ],
            "on {}",
            engine.name()
        );
        simulate(&project, &["--until", "20100215"]);
        let whole = engine.project("town", "town");
        simulate(&whole, &["--days", "45"]);
        assert_eq!(
            tables(&project),
            tables(&whole),
            "resumed run differs on {}",
            engine.name()
        );
    }
}

#[test]
fn chaos_rates_stay_within_tolerance_of_the_settings() {
    let project = Engine::DuckDb.project("town", "town");
    project.write(
        "simulation.yml",
        "seed: 11\npopulation: 600\ndomains: [factory]\nfactory:\n  lines: 12\n",
    );
    simulate(&project, &["--days", "32"]);
    let settled = "(select max(_delivered_day) - 2 from raw.factory_batches)";
    let rates = query(
        &project,
        &format!(
            "with batches as (select * from raw.factory_batches), \
             firsts as (select batch_id, min(_delivered_day) as delivered, min(started_at) as started from batches group by 1), \
             truth as (select sum(batches) as n from truth.factory_daily where day_serial <= {settled} - 2) \
             select \
               round(1.0 * (select count(*) from batches where _delivered_day <= {settled}) \
                 / (select count(distinct batch_id) from batches where _delivered_day <= {settled}) - 1, 4) as duplicates, \
               round(1.0 * (select count(*) from truth.chaos_ledger where table_name = 'factory_batches' and chaos_type = 'late') \
                 / (select count(distinct batch_id) from batches), 4) as late, \
               round(1.0 * (select count(*) from batches where clock_source = 'plant_local') / (select count(*) from batches), 4) as local_time, \
               round(1.0 * (select count(*) from raw.factory_sensor_readings where efficiency is null) \
                 / (select count(*) from raw.factory_sensor_readings), 4) as nulls, \
               (select count(*) from firsts where delivered - cast(date_diff('day', date '2010-01-01', cast(started as date)) as integer) not between 0 and 3) as odd_delays, \
               (select max(abs(epoch(read_at) % 1800 - case when epoch(read_at) % 1800 > 900 then 1800 else 0 end)) from raw.factory_sensor_readings) as max_drift_s, \
               (select n from truth) as batches"
        ),
    );
    let values: Vec<f64> = rates[1].split(',').map(|v| v.parse().unwrap()).collect();
    let [
        duplicates,
        late,
        local_time,
        nulls,
        odd_delays,
        max_drift,
        batches,
    ] = values[..]
    else {
        panic!("{rates:?}")
    };
    assert!(batches >= 10_000.0, "only {batches} batches: {rates:?}");
    assert!(
        (duplicates - 0.03).abs() <= 0.005,
        "duplicates {duplicates}"
    );
    assert!((late - 0.10).abs() <= 0.01, "late {late}");
    assert!((local_time - 0.30).abs() <= 0.02, "local time {local_time}");
    assert!((nulls - 0.075).abs() <= 0.005, "nulls {nulls}");
    assert_eq!(odd_delays, 0.0, "{rates:?}");
    assert!(
        max_drift <= 300.0 && max_drift > 200.0,
        "drift {max_drift} s"
    );
}

#[test]
fn without_chaos_raw_equals_truth() {
    let project = Engine::DuckDb.project("town", "town");
    project.write(
        "simulation.yml",
        "seed: 3\npopulation: 600\nchaos:\n  enabled: false\n",
    );
    simulate(&project, &["--days", "12"]);
    let raw_daily = "select cast(date_diff('day', date '2010-01-01', cast(started_at as date)) as integer) as day_serial, \
         m.machine_id, count(*) as batches, sum(units_produced) as units, sum(units_defective) as defective, \
         round(sum(energy_kwh), 3) as energy \
         from raw.factory_batches b join raw.factory_machines m on m.machine_code = b.machine_ref group by 1, 2";
    let truth_daily = "select day_serial, machine_id, batches, units_produced, units_defective, round(energy_kwh, 3) \
         from truth.factory_daily";
    assert_eq!(
        query(
            &project,
            &format!("select count(*) as n from (({raw_daily}) except ({truth_daily}))")
        ),
        ["n", "0"]
    );
    assert_eq!(
        query(
            &project,
            &format!("select count(*) as n from (({truth_daily}) except ({raw_daily}))")
        ),
        ["n", "0"]
    );
    assert_eq!(
        query(&project, "select count(*) as n from truth.chaos_ledger"),
        ["n", "0"]
    );
    let population = "select district_id, count(*) as n from raw.census_inhabitants where status = 'alive' group by 1";
    let truth_population = "select district_id, inhabitants from truth.census_population \
         where day_serial = (select max(day_serial) from truth.census_population)";
    assert_eq!(
        query(
            &project,
            &format!("select count(*) as n from (({population}) except ({truth_population}))")
        ),
        ["n", "0"]
    );
}

/// Every foreign key of the clean feeds points at a row that exists.
#[test]
fn clean_data_keeps_referential_integrity() {
    let project = Engine::DuckDb.project("town", "town");
    project.write(
        "simulation.yml",
        "seed: 5\npopulation: 800\nchaos:\n  enabled: false\n",
    );
    // Past the 25th, payday.
    simulate(&project, &["--days", "26"]);
    let keys = [
        (
            "raw.census_inhabitants",
            "household_id",
            "raw.census_households",
            "household_id",
        ),
        (
            "raw.census_inhabitants",
            "address_id",
            "raw.census_addresses",
            "address_id",
        ),
        (
            "raw.census_households",
            "address_id",
            "raw.census_addresses",
            "address_id",
        ),
        (
            "raw.census_addresses",
            "street_id",
            "raw.census_streets",
            "street_id",
        ),
        (
            "raw.census_streets",
            "district_id",
            "raw.census_districts",
            "district_id",
        ),
        (
            "raw.factory_batches",
            "operator_id",
            "raw.census_inhabitants",
            "ux_id",
        ),
        (
            "raw.factory_batches",
            "machine_ref",
            "raw.factory_machines",
            "machine_code",
        ),
        (
            "raw.retail_customers",
            "ux_id",
            "raw.census_inhabitants",
            "ux_id",
        ),
        (
            "raw.retail_orders",
            "customer_id",
            "raw.retail_customers",
            "customer_id",
        ),
        (
            "raw.retail_orders",
            "store_id",
            "raw.retail_stores",
            "store_id",
        ),
        (
            "raw.retail_order_lines",
            "order_id",
            "raw.retail_orders",
            "order_id",
        ),
        (
            "raw.retail_order_lines",
            "product_id",
            "raw.retail_products",
            "product_id",
        ),
        (
            "raw.retail_payments",
            "order_id",
            "raw.retail_orders",
            "order_id",
        ),
        (
            "raw.retail_returns",
            "order_id",
            "raw.retail_orders",
            "order_id",
        ),
        (
            "raw.retail_web_sessions",
            "customer_id",
            "raw.retail_customers",
            "customer_id",
        ),
        (
            "raw.retail_web_events",
            "session_id",
            "raw.retail_web_sessions",
            "session_id",
        ),
        (
            "raw.retail_web_events",
            "order_id",
            "raw.retail_orders",
            "order_id",
        ),
        (
            "raw.retail_shipments",
            "order_id",
            "raw.retail_orders",
            "order_id",
        ),
        (
            "raw.retail_inventory",
            "product_id",
            "raw.retail_products",
            "product_id",
        ),
        (
            "raw.retail_restocks",
            "store_id",
            "raw.retail_stores",
            "store_id",
        ),
        (
            "raw.retail_accounts",
            "customer_id",
            "raw.retail_customers",
            "customer_id",
        ),
        (
            "raw.retail_card_payments",
            "account_id",
            "raw.retail_accounts",
            "account_id",
        ),
        (
            "raw.retail_card_payments",
            "payment_id",
            "raw.retail_payments",
            "payment_id",
        ),
        (
            "raw.retail_loans",
            "customer_id",
            "raw.retail_customers",
            "customer_id",
        ),
        (
            "raw.economy_payroll",
            "ux_id",
            "raw.census_inhabitants",
            "ux_id",
        ),
        (
            "raw.transit_trips",
            "line_id",
            "raw.transit_lines",
            "line_id",
        ),
        (
            "raw.transit_boardings",
            "trip_id",
            "raw.transit_trips",
            "trip_id",
        ),
        (
            "raw.transit_boardings",
            "stop_id",
            "raw.transit_stops",
            "stop_id",
        ),
        (
            "raw.transit_boardings",
            "card_id",
            "raw.transit_cards",
            "card_id",
        ),
        (
            "raw.utilities_readings",
            "meter_id",
            "raw.utilities_meters",
            "meter_id",
        ),
        (
            "raw.health_members",
            "ux_id",
            "raw.census_inhabitants",
            "ux_id",
        ),
        (
            "raw.health_enrollments",
            "member_id",
            "raw.health_members",
            "member_id",
        ),
        (
            "raw.health_claims",
            "member_id",
            "raw.health_members",
            "member_id",
        ),
        (
            "raw.health_claims",
            "plan_id",
            "raw.health_plans",
            "plan_id",
        ),
        (
            "raw.health_claims",
            "provider_id",
            "raw.health_providers",
            "provider_id",
        ),
    ];
    for (child, column, parent, key) in keys {
        let rows = query(
            &project,
            &format!(
                "select count(*) as n, count(c.{column}) as keyed from {child} c \
                 where c.{column} is not null and c.{column} not in (select {key} from {parent})"
            ),
        );
        assert_eq!(rows[1], "0,0", "{child}.{column} -> {parent}.{key}");
        let present = query(&project, &format!("select count(*) as n from {child}"));
        assert_ne!(present[1], "0", "{child} is empty");
    }
}

#[test]
fn simulated_tables_are_sources_without_yaml() {
    let project = Engine::DuckDb.project("town", "town");
    let listed = project.run(&["ls", "--resource-type", "source", "--output", "name"]);
    assert_eq!(listed.code(), 0, "{listed:?}");
    assert!(
        listed.stdout().contains("uxc.factory_batches"),
        "{listed:?}"
    );
    assert!(
        !listed.stdout().contains("factory_daily"),
        "truth is not a source: {listed:?}"
    );
    simulate(&project, &["--days", "2"]);
    let run = project.run(&["run"]);
    assert_eq!(run.code(), 0, "{run:?}");
    // A project may still declare the source itself; its own declaration wins.
    project.write(
        "models/sources.yml",
        "version: 2\nsources:\n  - name: uxc\n    schema: raw\n    tables:\n      - name: factory_batches\n        description: Our own words.\n",
    );
    let json = project.run(&[
        "ls",
        "-s",
        "source:uxc",
        "--output",
        "json",
        "--output-keys",
        "name",
        "original_file_path",
    ]);
    assert_eq!(json.code(), 0, "{json:?}");
    let lines: Vec<&str> = json.stdout().lines().collect();
    assert!(
        lines.contains(&r#"{"name":"factory_batches","original_file_path":"models/sources.yml"}"#),
        "{json:?}"
    );
    assert!(
        lines.contains(&r#"{"name":"factory_machines","original_file_path":"simulation.yml"}"#),
        "{json:?}"
    );
}

#[test]
fn bad_settings_name_the_file_and_line_and_changed_settings_need_reset() {
    let project = Engine::DuckDb.project("town", "town");
    project.write("simulation.yml", "seed: 7\npopulaton: 600\n");
    let output = project.run(&["simulate"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(output.stderr().contains("populaton"), "{output:?}");
    assert!(output.stderr().contains("simulation.yml:2"), "{output:?}");
    assert!(
        output.stderr().contains("uxt::simulate::config"),
        "{output:?}"
    );

    project.write("simulation.yml", "seed: 7\npopulation: 600\n");
    simulate(&project, &["--days", "1"]);
    let reseeded = project.run(&["simulate", "--seed", "9"]);
    assert_eq!(reseeded.code(), 1, "{reseeded:?}");
    assert!(reseeded.stderr().contains("--reset"), "{reseeded:?}");
    assert!(
        reseeded.stderr().contains("uxt::simulate::changed"),
        "{reseeded:?}"
    );
    simulate(&project, &["--seed", "9", "--reset", "--days", "2"]);
    assert_eq!(
        query(&project, "select current_day, seed from uxt_sim.state"),
        ["current_day,seed", "2,9"]
    );
}

#[test]
fn the_town_comes_from_the_projects_seeds() {
    let project = Engine::DuckDb.project("town", "town");
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let districts = std::fs::read_to_string(seeds.join("districts.csv"))
        .unwrap()
        .replace("Old Town", "Uxbridge Cross");
    project.write("seeds/districts.csv", &districts);
    simulate(&project, &["--days", "1"]);
    assert_eq!(
        query(
            &project,
            "select d.name, s.stop_name from raw.census_districts d \
             join raw.transit_stops s on s.district_id = d.district_id \
             where d.district_id = 301 and s.stop_id = 9601"
        ),
        [
            "name,stop_name",
            "Uxbridge Cross,Uxbridge Cross Interchange"
        ]
    );

    // Other seeds make another town: continuing the old one is refused.
    project.write(
        "seeds/districts.csv",
        districts.replace("Uxbridge Cross", "Old Town"),
    );
    let changed = project.run(&["simulate"]);
    assert_eq!(changed.code(), 1, "{changed:?}");
    assert!(changed.stderr().contains("--reset"), "{changed:?}");

    let plans = std::fs::read_to_string(seeds.join("health_plans.csv"))
        .unwrap()
        .replace("902,UXH Silver,silver,42000", "902,UXH Silver,silver,lots");
    project.write("seeds/health_plans.csv", plans);
    let bad = project.run(&["simulate", "--reset"]);
    assert_eq!(bad.code(), 1, "{bad:?}");
    assert!(bad.stderr().contains("seeds/health_plans.csv:3"), "{bad:?}");
    assert!(bad.stderr().contains("uxt::simulate::reference"), "{bad:?}");
}

/// Postgres takes the generated rows through binary `COPY`, each value in its column's own type.
/// A raw table whose user gave a column another type gets its rows as CSV text instead, which
/// the server reads into that type: the load goes on, with the same values.
#[test]
fn a_raw_column_retyped_by_its_user_still_loads_on_postgres() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    let db = postgres.create_database("retyped");
    let project = Project::from_fixture("town");
    project.write("profiles.yml", profiles_yml_postgres(postgres, "town", &db));
    simulate(&project, &["--days", "3"]);
    postgres.psql(
        &db,
        "alter table raw.weather_daily alter column temp_min_c type numeric(9, 3)",
    );
    simulate(&project, &["--days", "3"]);
    let straight = Engine::Postgres(postgres).project("town", "town");
    simulate(&straight, &["--days", "6"]);
    let weather = "select day_serial, district_id, cast(temp_min_c as double precision) as low, \
                   temp_max_c, condition from raw.weather_daily order by 1, 2, 3, 4, 5";
    let rows = query(&project, weather);
    assert!(rows.len() > 100, "{rows:?}");
    assert_eq!(rows, query(&straight, weather));
}

/// A load the warehouse refuses keeps nothing of its days: the error names them and the column,
/// the tables and `uxt_sim.state` stay where the last good load left them, and once the column
/// has a type its values read as the next call goes on from there.
#[test]
fn a_refused_load_keeps_nothing_of_its_days_and_the_next_call_goes_on() {
    let project = Engine::DuckDb.project("town", "town");
    project.write(
        "macros/retype.sql",
        "{% macro retype(to) %}\n\
         {% do run_query('alter table raw.weather_daily alter column temp_min_c type ' ~ to) %}\n\
         {% endmacro %}\n",
    );
    let retype = |to: &str| {
        let args = format!("{{to: '{to}'}}");
        let output = project.run(&["run-operation", "retype", "--args", &args]);
        assert_eq!(output.code(), 0, "{output:?}");
    };
    let reached = || {
        (
            query(
                &project,
                "select max(day_serial) as d from raw.weather_daily",
            ),
            query(&project, "select current_day from uxt_sim.state"),
        )
    };
    simulate(&project, &["--days", "3"]);
    // A type the simulator does not write: the values go over as text, and `-3.5` is no boolean.
    retype("boolean");
    let refused = project.run(&["simulate", "--days", "3"]);
    assert_ne!(refused.code(), 0, "{refused:?}");
    assert!(
        refused
            .stderr()
            .contains("loading days 20100104 to 20100106 failed, and nothing of them was kept"),
        "{refused:?}"
    );
    assert!(
        refused
            .stderr()
            .contains("`temp_min_c` (Boolean) of \"raw\".\"weather_daily\" go over as text"),
        "{refused:?}"
    );
    assert_eq!(
        reached(),
        (
            vec!["d".into(), "2".into()],
            vec!["current_day".into(), "3".into()]
        )
    );
    // A type the values read as takes them: DuckDB casts their text, as a CSV load would.
    retype("decimal(9, 3)");
    simulate(&project, &["--days", "3"]);
    assert_eq!(
        reached(),
        (
            vec!["d".into(), "5".into()],
            vec!["current_day".into(), "6".into()]
        )
    );
}

/// The rows simulate says it loaded are the rows the tables hold: a current-state table counts
/// the one version of each entity it keeps, not every change of the day.
#[test]
fn the_rows_simulate_reports_are_the_rows_loaded() {
    let project = Engine::DuckDb.project("town", "town");
    let output = project.run(&["simulate", "--days", "5"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let text = format!("{}{}", output.stdout(), output.stderr());
    let reported: usize = text
        .split("): ")
        .nth(1)
        .and_then(|rest| rest.split(" rows").next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count of rows in {output:?}"));
    let held: usize = tables(&project).values().map(|rows| rows.len() - 1).sum();
    assert_eq!(reported, held, "{output:?}");
}
