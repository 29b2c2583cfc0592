//! Faults injected into real runs on both engines: the process killed with SIGKILL at several
//! points, the connection cut mid-run, the DuckDB file deleted or locked mid-run, a full disk,
//! a read-only `target/` and an unwritable file under it. After each: the previous tables are
//! whole, no temporary relation is left, the artifacts are the old ones or the new ones and
//! valid JSON, and the next run succeeds.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::engines::{Engine, query};
use crate::harness::{Postgres, Project, uxt};

/// A model that runs for long enough to be interrupted, on each engine.
fn slow_model(engine: &Engine) -> &'static str {
    match engine {
        Engine::DuckDb => {
            "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('stg_customers') }}, range(0, 200000) a, range(0, 200000) b\n"
        }
        Engine::Postgres(_) => {
            "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('stg_customers') }}, (select pg_sleep(30)) as s\n"
        }
    }
}

/// What must hold after any fault: the tables of the last good run with their rows, no
/// relation left under a temporary or backup name, and artifacts that are valid JSON.
fn assert_intact(project: &Project, engine: &Engine, when: &str) {
    let name = engine.name();
    // One query, so each check starts one process.
    assert_eq!(
        query(
            project,
            "select (select count(*) from {{ ref('customers') }}) as customers, \
             (select count(*) from {{ ref('stg_customers') }}) as stg_customers, \
             (select count(*) from information_schema.tables where table_name like '%__uxt_%') as scratch",
        ),
        ["customers,stg_customers,scratch", "3,3,0"],
        "{name}, {when}: the previous table and view, and no scratch relation"
    );
    for artifact in ["manifest.json", "run_results.json"] {
        let path = project.path().join("target").join(artifact);
        if let Ok(text) = std::fs::read_to_string(&path) {
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{name}, {when}: {artifact} is not valid JSON"
            );
        }
    }
    let temporary: Vec<_> = std::fs::read_dir(project.path().join("target"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    // A killed process cannot remove its temporary file; a failed write must.
    if when != "killed" {
        assert!(
            temporary.is_empty(),
            "{name}, {when}: left {temporary:?} in target/"
        );
    }
}

/// Starts `uxt <args>` in the project without waiting for it.
fn spawn(project: &Project, args: &[&str]) -> std::process::Child {
    uxt()
        .args(args)
        .arg("--project-dir")
        .arg(project.path())
        .current_dir(project.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn runs_killed_at_any_point_leave_the_previous_tables_and_a_rerun_succeeds() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        let first = project.run(&["run"]);
        assert_eq!(first.code(), 0, "{first:?}");
        project.write("models/marts/slow.sql", slow_model(&engine));
        // Every model is rebuilt on each attempt: the kill lands before, during and after
        // the swaps of the fast ones, and always while the slow one runs.
        for (round, delay_ms) in [150u64, 700, 1500, 3000].into_iter().enumerate() {
            let command = if round % 2 == 0 { "run" } else { "build" };
            let mut child = spawn(&project, &[command]);
            std::thread::sleep(Duration::from_millis(delay_ms));
            child.kill().unwrap();
            child.wait().unwrap();
            assert_intact(&project, &engine, "killed");
        }
        std::fs::remove_file(project.path().join("models/marts/slow.sql")).unwrap();
        // A process killed while it wrote an artifact leaves its temporary file; what the
        // rerun must not leave is one of its own.
        for entry in std::fs::read_dir(project.path().join("target")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(path).unwrap();
            }
        }
        let rerun = project.run(&["build"]);
        assert_eq!(rerun.code(), 0, "{}: {rerun:?}", engine.name());
        assert_intact(&project, &engine, "rerun");
    }
}

#[test]
fn a_connection_cut_mid_run_is_an_error_and_the_tables_stay() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    let engine = Engine::Postgres(postgres);
    let project = engine.project("shop", "shop");
    assert_eq!(project.run(&["run"]).code(), 0);
    project.write("models/marts/slow.sql", slow_model(&engine));
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml")).unwrap();
    let dbname = profiles
        .lines()
        .find_map(|line| line.trim().strip_prefix("dbname: "))
        .unwrap()
        .to_string();
    let child = uxt()
        .args(["run", "--project-dir"])
        .arg(project.path())
        .current_dir(project.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    postgres.psql(
        "postgres",
        &format!(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = '{dbname}' and pid <> pg_backend_pid()"
        ),
    );
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("slow"), "{stdout}\n{stderr}");
    assert_intact(&project, &engine, "connection cut");
    std::fs::remove_file(project.path().join("models/marts/slow.sql")).unwrap();
    assert_eq!(project.run(&["run"]).code(), 0);
}

#[test]
fn an_artifact_that_cannot_be_written_is_an_error_and_the_others_stay_valid() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        assert_eq!(project.run(&["run"]).code(), 0);
        let results = project.path().join("target/run_results.json");
        std::fs::remove_file(&results).unwrap();
        std::fs::create_dir(&results).unwrap();
        let output = project.run(&["run"]);
        assert_eq!(output.code(), 1, "{}: {output:?}", engine.name());
        assert!(
            output.stderr().contains("uxt::artifacts::write")
                && output.stderr().contains("run_results.json` is a folder")
                && !output.stderr().contains("panicked"),
            "{output:?}"
        );
        std::fs::remove_dir(&results).unwrap();
        assert_intact(&project, &engine, "unwritable");
        assert_eq!(project.run(&["run"]).code(), 0);
    }
}

/// A small tmpfs mounted over a folder, unmounted when dropped.
struct Mount<'a>(&'a Path);

impl<'a> Mount<'a> {
    /// `None` only where the test cannot mount: as a user other than root, outside CI.
    fn tmpfs(folder: &'a Path) -> Option<Mount<'a>> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(folder)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            return Some(Mount(folder));
        }
        // Mounting needs root, which CI's machine and the development container are.
        let uid = Command::new("id").arg("-u").output().unwrap();
        assert!(
            String::from_utf8_lossy(&uid.stdout).trim() != "0" && std::env::var_os("CI").is_none(),
            "cannot mount a tmpfs over `{}`",
            folder.display()
        );
        None
    }

    /// Makes the mounted folder read-only: root's writes fail too, which `chmod` cannot do.
    fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount `{}` read-only", self.0.display());
    }
}

impl Drop for Mount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn a_full_disk_under_target_is_an_error_and_leaves_the_previous_artifacts() {
    // The database lives outside target/, so only the artifacts meet the full disk.
    let project = Project::from_fixture("shop");
    project.write(
        "profiles.yml",
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    );
    let target = project.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let Some(_mount) = Mount::tmpfs(&target) else {
        return;
    };
    assert_eq!(project.run(&["run"]).code(), 0);
    let manifest_before = std::fs::read(target.join("manifest.json")).unwrap();
    // Fill the disk, then change a model so that every artifact is written anew.
    let filler = target.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();
    project.write(
        "models/staging/stg_customers.sql",
        "select * from (values (1, 'Ada'), (2, 'Brin'), (3, 'Cato')) as c (customer_id, first_name) -- changed\n",
    );
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::artifacts::write")
            && output.stderr().contains("No space left on device")
            && output.stderr().contains("free some space")
            && !output.stderr().contains("panicked"),
        "{output:?}"
    );
    assert_eq!(
        std::fs::read(target.join("manifest.json")).unwrap(),
        manifest_before,
        "the previous manifest.json"
    );
    std::fs::remove_file(&filler).unwrap();
    assert_intact(&project, &Engine::DuckDb, "full disk");
    assert_eq!(project.run(&["run"]).code(), 0);
}

#[test]
fn a_read_only_target_is_an_error_naming_the_folder_and_the_tables_stay() {
    let project = Project::from_fixture("shop");
    project.write(
        "profiles.yml",
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    );
    let target = project.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let Some(mount) = Mount::tmpfs(&target) else {
        return;
    };
    assert_eq!(project.run(&["run"]).code(), 0);
    let results_before = std::fs::read(target.join("run_results.json")).unwrap();
    mount.read_only();
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::artifacts::write")
            && output.stderr().contains(&format!("`{}", target.display()))
            && output.stderr().contains("writable")
            && !output.stderr().contains("panicked"),
        "{output:?}"
    );
    assert_eq!(
        std::fs::read(target.join("run_results.json")).unwrap(),
        results_before,
        "the previous run_results.json"
    );
    drop(mount);
    assert_intact(&project, &Engine::DuckDb, "read-only target");
}

/// A model that takes a few seconds on DuckDB, long enough to act while it runs.
const SLOW_DUCKDB_MODEL: &str = "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('stg_customers') }}, range(0, 25000) a, range(0, 25000) b\n";

/// A `uxt run` in progress, and the thread reading the rest of its output.
struct Running {
    child: Child,
    rest: std::thread::JoinHandle<String>,
}

impl Running {
    /// Starts `uxt run` and returns once the model `slow` has started.
    fn until_slow_starts(project: &Project) -> Running {
        let mut child = uxt()
            .args(["run", "--project-dir"])
            .arg(project.path())
            .current_dir(project.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.contains("START") && line.contains(".slow") {
                break;
            }
        }
        let rest =
            std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
        Running { child, rest }
    }

    /// Waits for the end: the exit code, the rest of stdout, and stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut stderr = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        let status = self.child.wait().unwrap();
        (status.code(), self.rest.join().unwrap(), stderr)
    }
}

#[test]
fn a_duckdb_file_deleted_mid_run_is_an_error_and_a_rerun_builds_anew() {
    let project = Engine::DuckDb.project("shop", "shop");
    assert_eq!(project.run(&["run"]).code(), 0);
    project.write("models/marts/slow.sql", SLOW_DUCKDB_MODEL);
    let running = Running::until_slow_starts(&project);
    std::fs::remove_file(project.path().join("target/dev.duckdb")).unwrap();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(
        all.contains("was deleted or replaced while uxt was using it") && !all.contains("panicked"),
        "{all}"
    );
    std::fs::remove_file(project.path().join("models/marts/slow.sql")).unwrap();
    let rerun = project.run(&["run"]);
    assert_eq!(rerun.code(), 0, "{rerun:?}");
    assert_intact(&project, &Engine::DuckDb, "rerun");
}

#[test]
fn a_duckdb_file_locked_by_a_running_command_is_refused_with_the_file_named() {
    let project = Engine::DuckDb.project("shop", "shop");
    assert_eq!(project.run(&["run"]).code(), 0);
    project.write("models/marts/slow.sql", SLOW_DUCKDB_MODEL);
    let running = Running::until_slow_starts(&project);
    let second = project.run(&["run"]);
    let (code, stdout, stderr) = running.finish();
    assert_eq!(second.code(), 1, "{second:?}");
    assert!(
        second.stderr().contains("uxt::adapter::connect")
            && second.stderr().contains("dev.duckdb")
            && !second.stderr().contains("panicked"),
        "{second:?}"
    );
    assert_eq!(code, Some(0), "the first run goes on: {stdout}\n{stderr}");
    assert_intact(&project, &Engine::DuckDb, "locked");
}

/// A TCP relay between uxt and the Postgres server whose connections the test can cut, as a
/// network failure or a crashed server would: no message, the socket just closes.
struct Relay {
    port: u16,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn to(upstream: (String, u16)) -> Relay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let streams = std::sync::Arc::clone(&open);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = std::net::TcpStream::connect((upstream.0.as_str(), upstream.1))
                else {
                    return;
                };
                let mut streams = streams.lock().unwrap();
                streams.push(client.try_clone().unwrap());
                streams.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, open }
    }

    fn cut(&self) {
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn a_connection_lost_mid_run_says_so_and_the_tables_stay() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    let engine = Engine::Postgres(postgres);
    let project = engine.project("shop", "shop");
    assert_eq!(project.run(&["run"]).code(), 0);
    let relay = Relay::to((postgres.host().to_string(), postgres.port()));
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml")).unwrap();
    project.write(
        "profiles.yml",
        profiles.replace(
            &format!("port: {}", postgres.port()),
            &format!("port: {}", relay.port),
        ),
    );
    project.write("models/marts/slow.sql", slow_model(&engine));
    let running = Running::until_slow_starts(&project);
    std::thread::sleep(Duration::from_millis(500));
    relay.cut();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(
        all.contains("the connection to the Postgres server was lost")
            && all.contains("slow")
            && !all.contains("panicked"),
        "{all}"
    );
    project.write("profiles.yml", profiles);
    assert_intact(&project, &engine, "connection lost");
    std::fs::remove_file(project.path().join("models/marts/slow.sql")).unwrap();
    assert_eq!(project.run(&["run"]).code(), 0);
}

/// A snapshot whose query runs until it is killed. Its staging table is the first statement of
/// the snapshot's transaction (the column probe before it stops at `limit 0`), so a kill while
/// it runs lands inside that transaction.
fn slow_snapshot(engine: &Engine) -> String {
    let wait = match engine {
        Engine::DuckDb => "(select count(*) from range(0, 200000) a, range(0, 200000) b) > 0",
        Engine::Postgres(_) => "(select true from pg_sleep(30))",
    };
    format!(
        "{{% snapshot customers_snapshot %}}\n\
         {{{{ config(unique_key='customer_id', strategy='timestamp', updated_at='updated_at') }}}}\n\
         select customer_id, name, tier, balance, updated_at from {{{{ ref('customers') }}}} where {wait}\n\
         {{% endsnapshot %}}\n"
    )
}

const SMALL_EVENTS: &str = "id,amount\n1,10\n2,20\n3,30\n";

/// A seed that takes long enough to load to be killed while it does.
fn large_events() -> String {
    let mut csv = String::from("id,amount\n");
    for id in 1..=200_000 {
        csv.push_str(&format!("{id},{}\n", id % 1000));
    }
    csv
}

/// What a kill must not change, one line per row: the `customers` seed's rows, the `events`
/// seed's count and sum, every version of the snapshot with its validity range, and any
/// relation under a scratch or backup name.
fn lasting_state(project: &Project) -> Vec<String> {
    query(
        project,
        "select 'customers' as relation, cast(customer_id as varchar) as a, name as b, cast(updated_at as varchar) as c, '' as d from {{ ref('customers') }} \
         union all select 'events', cast(count(*) as varchar), cast(sum(amount) as varchar), '', '' from {{ ref('events') }} \
         union all select 'snapshot', cast(customer_id as varchar), dbt_scd_id, cast(dbt_valid_from as varchar), coalesce(cast(dbt_valid_to as varchar), '') from {{ ref('customers_snapshot') }} \
         union all select 'scratch', table_name, '', '', '' from information_schema.tables \
         where table_name like '%uxt%' or table_name like '%dbt_tmp%' or table_name like '%dbt_backup%' \
         order by 1, 2, 3, 4, 5",
    )
}

/// Every JSON file under `target/` parses: an artifact is the old or the new one, never cut.
fn assert_artifacts_valid(project: &Project, when: &str) {
    for entry in std::fs::read_dir(project.path().join("target")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{when}: {} is not valid JSON",
                path.display()
            );
        }
    }
}

/// A delay below `span_ms` that differs from one call to the next, so repeated runs kill at
/// different points.
fn some_delay(span_ms: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos) % span_ms)
}

/// Starts `uxt <args>`, waits for the line that starts the node whose description ends with
/// `node`, then until `busy` says the node's work is underway (or the process ended), then
/// `delay`, and kills the process with SIGKILL. Returns how it went, for the test's messages.
fn kill_while(
    project: &Project,
    args: &[&str],
    node: &str,
    busy: &dyn Fn() -> bool,
    delay: Duration,
) -> String {
    let mut child = uxt()
        .args(args)
        .arg("--project-dir")
        .arg(project.path())
        .current_dir(project.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains(" START ") && line.contains(node));
    let drain = std::thread::spawn(move || lines.for_each(drop));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while started
        && !busy()
        && child.try_wait().unwrap().is_none()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(delay);
    let ended = child.try_wait().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drain.join().unwrap();
    format!(
        "`uxt {}` killed {} ms after `{node}` started{}",
        args.join(" "),
        delay.as_millis(),
        if ended.is_some() {
            " (it had already ended)"
        } else {
            ""
        }
    )
}

#[test]
fn seeds_snapshots_and_builds_killed_at_any_point_keep_the_previous_rows_and_versions() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project("store", "store");
        project.write("seeds/events.csv", SMALL_EVENTS);
        let first = project.run(&["build"]);
        assert_eq!(first.code(), 0, "{name}: {first:?}");
        let before = lasting_state(&project);
        let events_line = |state: &[String]| {
            state
                .iter()
                .find(|line| line.starts_with("events,"))
                .cloned()
                .unwrap()
        };
        let without_events = |state: &[String]| {
            state
                .iter()
                .filter(|line| !line.starts_with("events,"))
                .cloned()
                .collect::<Vec<_>>()
        };
        let dbname = std::fs::read_to_string(project.path().join("profiles.yml"))
            .unwrap()
            .lines()
            .find_map(|line| line.trim().strip_prefix("dbname: ").map(str::to_string));
        // On Postgres the kill waits for the seed's COPY to be running; DuckDB shows nothing
        // from outside, so there the delay after the seed starts decides.
        let copying = || match (&engine, &dbname) {
            (Engine::Postgres(postgres), Some(db)) => {
                postgres.psql(
                    db,
                    "select count(*) from pg_stat_activity where datname = current_database() \
                     and state = 'active' and query ilike 'copy%'",
                ) != "0"
            }
            _ => true,
        };
        project.write("seeds/events.csv", large_events());
        project.write("snapshots/customers_snapshot.sql", slow_snapshot(&engine));
        let loaded = "events,200000,99900000,,";
        for args in [&["seed"][..], &["seed", "--full-refresh"], &["build"]] {
            let delay = match engine {
                Engine::DuckDb => some_delay(1500),
                Engine::Postgres(_) => some_delay(100),
            };
            let how = kill_while(&project, args, ".events ", &copying, delay);
            let now = lasting_state(&project);
            assert_eq!(
                without_events(&now),
                without_events(&before),
                "{name}: {how}"
            );
            // Killed before its commit the load left the old rows; after it, all the new ones.
            let events = events_line(&now);
            assert!(
                events == events_line(&before) || events == loaded,
                "{name}: {how}: events is {events}"
            );
            assert_artifacts_valid(&project, &format!("{name}: {how}"));
        }
        // The snapshot now has changes to record, and is killed while it records them.
        project.write("seeds/events.csv", SMALL_EVENTS);
        project.write(
            "seeds/customers.csv",
            "customer_id,name,tier,balance,signup_date,updated_at,active\n\
             1,Ada,platinum,12.00,2010-01-01,2010-02-01 00:00:00,true\n\
             3,Cato,,3.25,2010-01-03,2010-01-03 00:00:00,true\n\
             4,Dov,silver,1.00,2010-01-04,2010-01-04 00:00:00,true\n",
        );
        let seeded = project.run(&["seed", "--full-refresh"]);
        assert_eq!(seeded.code(), 0, "{name}: {seeded:?}");
        let seeded = lasting_state(&project);
        for args in [&["snapshot"][..], &["snapshot"], &["build"]] {
            let how = kill_while(
                &project,
                args,
                ".customers_snapshot ",
                &|| true,
                some_delay(1500),
            );
            assert_eq!(lasting_state(&project), seeded, "{name}: {how}");
            assert_artifacts_valid(&project, &format!("{name}: {how}"));
        }
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/store/snapshots/customers_snapshot.sql");
        project.write(
            "snapshots/customers_snapshot.sql",
            std::fs::read(fixture).unwrap(),
        );
        let rerun = project.run(&["build"]);
        assert_eq!(rerun.code(), 0, "{name}: {rerun:?}");
        let after = lasting_state(&project);
        let versions: Vec<&String> = after
            .iter()
            .filter(|l| l.starts_with("snapshot,"))
            .collect();
        let open = versions.iter().filter(|l| l.ends_with(',')).count();
        // Ada's new version closes her old one, Dov arrives; Brin's row stays (hard deletes
        // are ignored) and no earlier version is changed.
        assert_eq!((versions.len(), open), (5, 4), "{name}: {after:?}");
        for old in seeded
            .iter()
            .filter(|l| l.starts_with("snapshot,") && !l.starts_with("snapshot,1,"))
        {
            assert!(after.contains(old), "{name}: {old} changed: {after:?}");
        }
        assert!(
            !after.iter().any(|l| l.starts_with("scratch,")),
            "{name}: {after:?}"
        );
        assert_artifacts_valid(&project, &format!("{name}: rerun"));
    }
}
