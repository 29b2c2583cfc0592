//! The daily loop on a dbt project: `seed`, `snapshot`, `test` and `build`, on both engines,
//! with a second round after the seed data changes.

use crate::engines::{Engine, query};
use crate::harness::Project;

const ROUND_TWO: &str = "customer_id,name,tier,balance,signup_date,updated_at,active
1,Ada,platinum,12.00,2010-01-01,2010-02-01 00:00:00,true
3,Cato,,3.25,2010-01-03,2010-01-03 00:00:00,true
4,Dov,silver,1.00,2010-01-04,2010-01-04 00:00:00,true
";

/// The SCD2 invariants: at most one current row per key, no overlapping validity ranges,
/// valid_from before valid_to.
fn assert_snapshot_invariants(project: &Project, table: &str, engine: &str) {
    let current = query(
        project,
        &format!(
            "select customer_id from {{{{ ref('{table}') }}}} where dbt_valid_to is null group by customer_id having count(*) > 1"
        ),
    );
    assert_eq!(
        current,
        ["customer_id"],
        "{engine}: two current rows for a key in {table}"
    );
    let far = "cast('9999-12-31' as timestamp)";
    let overlaps = query(
        project,
        &format!(
            "select a.customer_id from {{{{ ref('{table}') }}}} as a join {{{{ ref('{table}') }}}} as b on a.customer_id = b.customer_id and a.dbt_scd_id <> b.dbt_scd_id \
         and a.dbt_valid_from < coalesce(b.dbt_valid_to, {far}) and b.dbt_valid_from < coalesce(a.dbt_valid_to, {far})"
        ),
    );
    assert_eq!(
        overlaps,
        ["customer_id"],
        "{engine}: overlapping versions in {table}"
    );
    let backwards = query(
        project,
        &format!(
            "select customer_id from {{{{ ref('{table}') }}}} where dbt_valid_to is not null and dbt_valid_from >= dbt_valid_to"
        ),
    );
    assert_eq!(
        backwards,
        ["customer_id"],
        "{engine}: valid_from not before valid_to in {table}"
    );
}

#[test]
fn build_runs_seeds_models_snapshots_and_tests_in_two_rounds() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project("store", "store");
        let first = project.run(&["build"]);
        assert_eq!(first.code(), 0, "{name}: {first:?}");
        assert!(first.stdout().contains("OK loaded seed file"), "{first:?}");
        assert!(first.stdout().contains("OK snapshotted"), "{first:?}");
        assert!(
            first
                .stdout()
                .contains("PASS not_null_customers_customer_id"),
            "{first:?}"
        );
        assert!(
            first
                .stdout()
                .contains("Done. PASS=11 WARN=0 ERROR=0 SKIP=0"),
            "{name}: {first:?}"
        );
        // Seed types were inferred as dbt infers them: `balance` (`10.50`, `0.25`...) is a float.
        let typed = query(
            &project,
            "select customer_id, balance * 2 as doubled, cast(signup_date as date) = signup_date as is_date, active from {{ ref('customers') }} order by 1",
        );
        assert_eq!(
            typed,
            [
                "customer_id,doubled,is_date,active",
                "1,21,true,true",
                "2,0.5,true,false",
                "3,6.5,true,true"
            ],
            "{name}"
        );

        project.write("seeds/customers.csv", ROUND_TWO);
        let second = project.run(&["build"]);
        assert_eq!(second.code(), 0, "{name}: {second:?}");
        let history = query(
            &project,
            "select customer_id, tier, dbt_valid_to is null as current from {{ ref('customers_snapshot') }} order by customer_id, dbt_valid_from",
        );
        assert_eq!(
            history,
            [
                "customer_id,tier,current",
                "1,gold,false",
                "1,platinum,true",
                "2,silver,true",
                "3,,true",
                "4,silver,true"
            ],
            "{name}"
        );
        let checked = query(
            &project,
            "select customer_id, tier, dbt_valid_to is null as current from {{ ref('customers_check') }} order by customer_id, dbt_valid_from",
        );
        assert_eq!(
            checked,
            [
                "customer_id,tier,current",
                "1,gold,false",
                "1,platinum,true",
                "2,silver,true",
                "3,,true",
                "4,silver,true"
            ],
            "{name}"
        );

        let third = project.run(&["snapshot"]);
        assert_eq!(third.code(), 0, "{name}: {third:?}");
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('customers_snapshot') }}"
            ),
            ["n", "5"],
            "{name}: a run with no change adds nothing"
        );
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('customers_check') }}"
            ),
            ["n", "5"],
            "{name}: a NULL check column adds nothing"
        );
        assert_snapshot_invariants(&project, "customers_snapshot", name);
        assert_snapshot_invariants(&project, "customers_check", name);
    }
}

#[test]
fn hard_deletes_modes_close_or_mark_deleted_rows() {
    for engine in Engine::all() {
        for (mode, expected) in [
            ("invalidate", ["customer_id,current", "2,false"].as_slice()),
            (
                "new_record",
                ["customer_id,current", "2,false", "2,true"].as_slice(),
            ),
        ] {
            let project = engine.project("store", "store");
            let vars = format!("{{hard_deletes: {mode}}}");
            assert_eq!(project.run(&["build", "--vars", &vars]).code(), 0);
            project.write("seeds/customers.csv", ROUND_TWO);
            let second = project.run(&["build", "--vars", &vars]);
            assert_eq!(second.code(), 0, "{second:?}");
            let rows = query(
                &project,
                "select customer_id, dbt_valid_to is null as current from {{ ref('customers_snapshot') }} where customer_id = 2 order by dbt_valid_from, dbt_valid_to",
            );
            assert_eq!(rows, expected, "{} {mode}", engine.name());
            if mode == "new_record" {
                let deleted = query(
                    &project,
                    "select dbt_is_deleted from {{ ref('customers_snapshot') }} where customer_id = 2 and dbt_valid_to is null",
                );
                assert_eq!(deleted, ["dbt_is_deleted", "True"], "{}", engine.name());
            }
            assert_snapshot_invariants(&project, "customers_snapshot", engine.name());
        }
    }
}

#[test]
fn failing_test_fails_the_run_and_skips_downstream_in_build() {
    for engine in Engine::all() {
        let project = engine.project("store", "store");
        project.write("seeds/customers.csv", "customer_id,name,tier,balance,signup_date,updated_at,active\n1,Ada,gold,-5.00,2010-01-01,2010-01-01 00:00:00,true\n1,Ada,bronze,1.00,2010-01-01,2010-01-01 00:00:00,true\n");
        let output = project.run(&["build"]);
        assert_eq!(output.code(), 1, "{}: {output:?}", engine.name());
        let stdout = output.stdout();
        assert!(
            stdout.contains("FAIL 1 unique_customers_customer_id"),
            "{stdout}"
        );
        assert!(
            stdout.contains("WARN 1 accepted_values_customers_tier__gold__silver__platinum"),
            "{stdout}"
        );
        // The unique test on the seed failed: everything built on the seed is skipped, and so
        // are the tests of what was skipped, as dbt-core 1.11 does (`SKIP=7` here).
        for skipped in [
            "SKIP relation",
            "SKIP test assert_no_negative_balance",
            "SKIP test is_positive_stg_customers_balance",
        ] {
            assert!(stdout.contains(skipped), "`{skipped}`: {stdout}");
        }
        assert!(
            !stdout.contains("FAIL 1 assert_no_negative_balance"),
            "{stdout}"
        );
        let tested = project.run(&["test", "--select", "customers"]);
        assert_eq!(tested.code(), 1, "{tested:?}");
        assert!(
            tested
                .stdout()
                .contains("Failure in test unique_customers_customer_id"),
            "{tested:?}"
        );
    }
}

#[test]
fn bad_seed_file_names_line_and_keeps_the_previous_table() {
    for engine in Engine::all() {
        let project = engine.project("store", "store");
        assert_eq!(project.run(&["seed"]).code(), 0);
        project.write("seeds/customers.csv", "customer_id,name,tier,balance,signup_date,updated_at,active\n1,Ada,gold,1.0,2010-01-01,2010-01-01 00:00:00,true\n2,Brin\n");
        let output = project.run(&["seed"]);
        assert_eq!(output.code(), 1, "{output:?}");
        assert!(
            output
                .stdout()
                .contains("seeds/customers.csv:3: this row has 2 fields, but the header has 7"),
            "{output:?}"
        );
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('customers') }}"),
            ["n", "3"],
            "{}",
            engine.name()
        );

        project.write("seeds/customers.csv", "customer_id,name,name\n1,Ada,Ada\n");
        let duplicate = project.run(&["seed"]);
        assert!(
            duplicate
                .stdout()
                .contains("seeds/customers.csv:1 (column `name`): the header names `name` twice"),
            "{duplicate:?}"
        );
        project.write(
            "seeds/customers.csv",
            b"customer_id,name\n1,Caf\xe9\n".as_slice(),
        );
        let encoding = project.run(&["seed"]);
        assert!(
            encoding
                .stdout()
                .contains("seeds/customers.csv:2 (column `name`): the file is not valid UTF-8"),
            "{encoding:?}"
        );
        project.write("seeds/customers.csv", "customer_id,name,tier,balance,signup_date,updated_at,active\nx1,Ada,gold,1.0,2010-01-01,2010-01-01 00:00:00,true\n");
        let cast = project.run(&["seed"]);
        assert_eq!(cast.code(), 1, "{cast:?}");
        assert!(cast.stdout().contains("seeds/customers.csv:2 (column `customer_id`): `x1` in column `customer_id` is not a valid integer"), "{cast:?}");
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('customers') }}"),
            ["n", "3"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn a_seed_date_column_takes_a_date_with_a_time_of_day() {
    for engine in Engine::all() {
        let project = engine.project("store", "store");
        project.write("seeds/customers.csv", "customer_id,name,tier,balance,signup_date,updated_at,active\n1,Ada,gold,1.0,2010-01-01,2010-01-02 10:30:00,true\n");
        let settings = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
        project.write(
            "dbt_project.yml",
            settings.replace(
                "customer_id: integer",
                "customer_id: integer\n        updated_at: date",
            ),
        );
        let output = project.run(&["seed"]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        assert_eq!(
            query(
                &project,
                "select cast(updated_at as varchar) as d from {{ ref('customers') }}"
            ),
            ["d", "2010-01-02"],
            "{}",
            engine.name()
        );
    }
}

/// Seed columns get dbt's types (agate's inference, then the adapter's names), and the values
/// dbt loads: a quote inside an unquoted value is part of it, an empty field and `null` are NULL.
#[test]
fn seed_types_and_values_are_dbts() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project("store", "store");
        project.write(
            "seeds/kinds.csv",
            "id,amount,whole,flag,day,moment,iso,label,blank,forced\n\
             1,2.50,1.0,true,2010-01-05,2010-01-05 10:00:00,2010-01-05T10:00,5\" screen,,\"\"\n\
             2,-3,2,FALSE,2010-1-6,2010-01-06 11:30:00,2010-01-06T11:30:15,\"say \"\"hi\"\"\",,7\n\
             3,,null,,,,,\"\",,\n",
        );
        project.write(
            "seeds/kinds.yml",
            "seeds:\n  - name: kinds\n    config:\n      column_types: {forced: varchar(10)}\n",
        );
        let output = project.run(&["seed", "--select", "kinds"]);
        assert_eq!(output.code(), 0, "{name}: {output:?}");
        let types = query(
            &project,
            "select column_name, lower(data_type) as data_type from information_schema.columns where table_name = 'kinds' order by ordinal_position",
        );
        let expected = match engine {
            Engine::DuckDb => [
                "integer",
                "double",
                "integer",
                "boolean",
                "date",
                "timestamp",
                "timestamp",
                "varchar",
                "integer",
                "varchar",
            ],
            Engine::Postgres(_) => [
                "integer",
                "double precision",
                "integer",
                "boolean",
                "date",
                "timestamp without time zone",
                "timestamp without time zone",
                "text",
                "integer",
                "character varying",
            ],
        };
        let columns = [
            "id", "amount", "whole", "flag", "day", "moment", "iso", "label", "blank", "forced",
        ];
        let mut want = vec!["column_name,data_type".to_string()];
        want.extend(
            columns
                .iter()
                .zip(expected)
                .map(|(column, data_type)| format!("{column},{data_type}")),
        );
        assert_eq!(types, want, "{name}");
        let rows = query(
            &project,
            "select id, amount * 2 as amount, whole, flag, cast(day as varchar) as day, \
             cast(moment as varchar) as moment, cast(iso as varchar) as iso, label, \
             label is null as no_label, blank is null as no_blank, forced is null as no_forced \
             from {{ ref('kinds') }} order by id",
        );
        assert_eq!(
            rows,
            [
                "id,amount,whole,flag,day,moment,iso,label,no_label,no_blank,no_forced",
                "1,5,1,true,2010-01-05,2010-01-05 10:00:00,2010-01-05 10:00:00,\"5\"\" screen\",false,true,true",
                "2,-6,2,false,2010-01-06,2010-01-06 11:30:00,2010-01-06 11:30:15,\"say \"\"hi\"\"\",false,true,false",
                "3,,,,,,,,true,true,true",
            ],
            "{name}"
        );

        // A quote that opens a value and never closes is malformed: the file and line are named
        // and the table keeps its rows.
        project.write(
            "seeds/kinds.csv",
            "id,amount,whole,flag,day,moment,iso,label,blank,forced\n\
             1,1,1,true,2010-01-05,,,ok,,\n\
             2,1,1,true,2010-01-05,,,ok,,\"open\n\
             3,1,1,true,2010-01-05,,,ok,,\n",
        );
        let malformed = project.run(&["seed", "--select", "kinds"]);
        assert_eq!(malformed.code(), 1, "{name}: {malformed:?}");
        assert!(
            malformed
                .stdout()
                .contains("seeds/kinds.csv:3: a quote opened on this line is never closed"),
            "{name}: {malformed:?}"
        );
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('kinds') }}"),
            ["n", "3"],
            "{name}"
        );
    }
}

#[test]
fn store_failures_keeps_failing_rows_and_persist_docs_comments_relations() {
    for engine in Engine::all() {
        let project = engine.project("store", "store");
        let settings = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
        project.write(
            "dbt_project.yml",
            format!("{settings}\ndata_tests:\n  +store_failures: true\n").replace(
                "    +materialized: view",
                "    +materialized: view\n    +persist_docs: {relation: true, columns: true}",
            ),
        );
        project.write("models/schema_docs.yml", "models:\n  - name: customer_tiers\n    description: Customers per tier.\n    columns:\n      - name: tier\n        description: The loyalty tier.\n");
        project.write("seeds/customers.csv", "customer_id,name,tier,balance,signup_date,updated_at,active\n1,Ada,gold,1.00,2010-01-01,2010-01-01 00:00:00,true\n1,Ada,gold,1.00,2010-01-01,2010-01-01 00:00:00,true\n");
        assert_eq!(project.run(&["seed"]).code(), 0);
        let tested = project.run(&["test", "--select", "unique_customers_customer_id"]);
        assert_eq!(tested.code(), 1, "{tested:?}");
        let stored = query(
            &project,
            "select unique_field, n_records from {{ target.schema }}_dbt_test__audit.unique_customers_customer_id",
        );
        assert_eq!(
            stored,
            ["unique_field,n_records", "1,2"],
            "{}",
            engine.name()
        );

        let built = project.run(&["run", "--select", "+customer_tiers"]);
        assert_eq!(built.code(), 0, "{built:?}");
        let comment = match engine {
            Engine::DuckDb => {
                "select comment from duckdb_tables() where table_name = 'customer_tiers'"
            }
            Engine::Postgres(_) => {
                "select obj_description('public.customer_tiers'::regclass) as comment"
            }
        };
        assert_eq!(
            query(&project, comment),
            ["comment", "Customers per tier."],
            "{}",
            engine.name()
        );
    }
}
