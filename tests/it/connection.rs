//! How uxt reaches Postgres: every `sslmode` against a server that only speaks TLS, client
//! certificates, `uxt debug` with `verify-full`, the session keys (`role`, `search_path`,
//! `keepalives_idle`, `application_name`), `connect_timeout`, and a password that never shows.

use std::net::TcpListener;
use std::path::Path;

use crate::engines::query;
use crate::harness::{CERT_USER, Output, PASSWORD, PASSWORD_USER, Postgres, Project};

const PROJECT: &str = "name: reach\nversion: '1.0'\nconfig-version: 2\nprofile: reach\n";

/// A project whose profile has one Postgres target with `keys` (YAML lines, indented by the
/// caller's format) and the password read from `UXT_TEST_PG_PASSWORD`.
fn project(postgres: &Postgres, host: &str, user: &str, dbname: &str, keys: &str) -> Project {
    let project = Project::empty();
    project.write("dbt_project.yml", PROJECT);
    project.write(
        "profiles.yml",
        format!(
            "reach:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      \
             host: {host}\n      port: {port}\n      user: {user}\n      \
             password: \"{{{{ env_var('UXT_TEST_PG_PASSWORD', '') }}}}\"\n      \
             dbname: {dbname}\n      schema: public\n      threads: 2\n{keys}",
            port = postgres.port(),
        ),
    );
    project
}

/// Runs with the password in the environment and a `HOME` without `~/.postgresql/`, so libpq's
/// default certificate files of the machine cannot change what the test sees.
fn run(project: &Project, args: &[&str]) -> Output {
    let home = project.path().join("home");
    std::fs::create_dir_all(&home).expect("the project dir is writable");
    project.run_with_env(
        args,
        &[
            ("UXT_TEST_PG_PASSWORD", PASSWORD),
            ("HOME", home.to_str().expect("temp paths are UTF-8")),
        ],
    )
}

fn certificate(postgres: &Postgres, name: &str) -> String {
    postgres.certificate(name).display().to_string()
}

/// Every file uxt wrote under the project, for a search for the password.
fn written_files(dir: &Path) -> Vec<(String, String)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter(|entry| entry.file_name() != "profiles.yml")
        .map(|entry| {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            (
                entry.path().display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

#[test]
fn require_builds_over_tls_and_the_password_never_shows() {
    let Some(postgres) = Postgres::tls_only() else {
        return;
    };
    let db = postgres.create_database("require_builds_over_tls");
    postgres.psql(
        &db,
        &format!("grant create on schema public to {PASSWORD_USER}"),
    );
    let project = project(
        postgres,
        postgres.host(),
        PASSWORD_USER,
        &db,
        "      sslmode: require\n",
    );
    project.write(
        "models/encrypted.sql",
        "{{ config(materialized='table') }}\n\
         select ssl from pg_stat_ssl where pid = pg_backend_pid()",
    );
    let built = run(&project, &["run"]);
    assert_eq!(built.code(), 0, "{built:?}");
    assert_eq!(
        postgres.psql(&db, "select ssl from public.encrypted"),
        "t",
        "the model ran on a TLS connection"
    );
    let debug = run(&project, &["debug"]);
    assert_eq!(debug.code(), 0, "{debug:?}");
    assert!(debug.stdout().contains("  password: ****"), "{debug:?}");

    // A wrong password: the server says no, and still nothing shows the one that was sent.
    let refused = project.run_with_env(&["run"], &[("UXT_TEST_PG_PASSWORD", "wrong-Pa55word-too")]);
    assert_eq!(refused.code(), 1, "{refused:?}");
    assert!(
        refused
            .stderr()
            .contains("password authentication failed for user \"analyst\""),
        "{refused:?}"
    );
    for output in [&built, &debug, &refused] {
        for secret in [PASSWORD, "wrong-Pa55word-too"] {
            assert!(!output.stdout().contains(secret), "{output:?}");
            assert!(!output.stderr().contains(secret), "{output:?}");
        }
    }
    for (path, text) in written_files(project.path()) {
        assert!(!text.contains(PASSWORD), "the password is in `{path}`");
    }
}

#[test]
fn debug_connects_with_verify_full() {
    let Some(postgres) = Postgres::tls_only() else {
        return;
    };
    let project = project(
        postgres,
        "localhost",
        PASSWORD_USER,
        "postgres",
        &format!(
            "      sslmode: verify-full\n      sslrootcert: {}\n",
            certificate(postgres, "ca.crt")
        ),
    );
    let debug = run(&project, &["debug"]);
    assert_eq!(debug.code(), 0, "{debug:?}");
    let stdout = debug
        .stdout()
        .replace(&certificate(postgres, "ca.crt"), "[ca.crt]")
        .replace(&postgres.port().to_string(), "[port]");
    // Past the time stamp of each line, from the target's keys on.
    let from_type: String = stdout
        .lines()
        .map(|line| line.get(10..).unwrap_or_default())
        .skip_while(|line| !line.starts_with("  type:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        from_type,
        "  type: postgres
  host: localhost
  port: [port]
  user: analyst
  password: ****
  dbname: postgres
  schema: public
  sslmode: verify-full
  sslrootcert: [ca.crt]
  connect_timeout: 10
  retries: 1
  encryption: TLS, the server's certificate checked against `[ca.crt]` and for its host name (`sslmode: verify-full`)
  Connection test: [OK connection ok]
All checks passed!
",
        "{debug:?}"
    );
}

/// One `uxt debug` against the TLS-only server: its profile keys, and the exit code and a part
/// of the output that show libpq's behaviour for them.
struct Case {
    keys: &'static str,
    host: &'static str,
    user: &'static str,
    code: i32,
    says: &'static str,
}

#[test]
fn every_sslmode_behaves_as_libpq_against_a_tls_only_server() {
    let Some(postgres) = Postgres::tls_only() else {
        return;
    };
    let cases = [
        Case {
            keys: "sslmode: disable",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 1,
            says: "no pg_hba.conf entry for host \"127.0.0.1\", user \"analyst\", database \"postgres\", no encryption",
        },
        Case {
            keys: "sslmode: allow",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 0,
            says: "encryption: TLS, the server's certificate not checked (`sslmode: allow`)",
        },
        Case {
            keys: "sslmode: prefer",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 0,
            says: "encryption: TLS, the server's certificate not checked (`sslmode: prefer`)",
        },
        // The default is `prefer`.
        Case {
            keys: "application_name: reach",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 0,
            says: "encryption: TLS, the server's certificate not checked (`sslmode: prefer`)",
        },
        Case {
            keys: "sslmode: require",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 0,
            says: "encryption: TLS, the server's certificate not checked (`sslmode: require`)",
        },
        // With a root certificate, `require` checks the chain as `verify-ca` does (libpq).
        Case {
            keys: "sslmode: require\n      sslrootcert: {other-ca.crt}",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 1,
            says: "the server's certificate is not signed by an authority in `sslrootcert`",
        },
        // `prefer` falls back to plain TCP when TLS fails, as libpq's does; this server says no.
        Case {
            keys: "sslmode: prefer\n      sslrootcert: {other-ca.crt}",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 1,
            says: "not signed by an authority in `sslrootcert`; then without TLS: no pg_hba.conf entry",
        },
        Case {
            keys: "sslmode: verify-ca",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 1,
            says: "`sslmode: verify-ca` checks the server's certificate, and there is nothing to check it against",
        },
        Case {
            keys: "sslmode: verify-ca\n      sslrootcert: {ca.crt}",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 0,
            says: "checked against `{ca.crt}`, not its host name (`sslmode: verify-ca`)",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: {ca.crt}",
            host: "127.0.0.1",
            user: PASSWORD_USER,
            code: 1,
            says: "the server's certificate is not for this host name",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: {other-ca.crt}",
            host: "localhost",
            user: PASSWORD_USER,
            code: 1,
            says: "the server's certificate is not signed by an authority in `sslrootcert`",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: {ca.crt}\n      \
                   sslcert: {client.crt}\n      sslkey: {client.key}",
            host: "localhost",
            user: CERT_USER,
            code: 0,
            says: "Connection test: [OK connection ok]",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: {ca.crt}",
            host: "localhost",
            user: CERT_USER,
            code: 1,
            says: "connection requires a valid client certificate",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: {ca.crt}\n      sslcert: {client.crt}",
            host: "localhost",
            user: CERT_USER,
            code: 1,
            says: "client.crt` needs its private key: set `sslkey`",
        },
        Case {
            keys: "sslmode: verify-full\n      sslrootcert: certs/missing.crt",
            host: "localhost",
            user: PASSWORD_USER,
            code: 1,
            says: "certs/missing.crt` does not exist",
        },
    ];
    let fill = |text: &str| {
        ["ca.crt", "other-ca.crt", "client.crt", "client.key"]
            .iter()
            .fold(text.to_owned(), |text, name| {
                text.replace(&format!("{{{name}}}"), &certificate(postgres, name))
            })
    };
    for case in cases {
        let keys = fill(&format!("      {}\n", case.keys));
        let project = project(postgres, case.host, case.user, "postgres", &keys);
        let debug = run(&project, &["debug"]);
        assert_eq!(debug.code(), case.code, "{keys}{debug:?}");
        let shown = format!("{}{}", debug.stdout(), debug.stderr());
        assert!(shown.contains(&fill(case.says)), "{keys}{debug:?}");
        assert!(!shown.contains(PASSWORD), "{keys}{debug:?}");
    }
}

#[test]
fn role_search_path_and_keepalives_apply_to_every_session() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    let db = postgres.create_database("session_keys");
    let role = format!("{db}_reporter");
    postgres.psql(
        &db,
        &format!(
            "create role {role}; grant create, usage on schema public to {role}; \
             create schema lookup; create table lookup.codes as select 7 as code; \
             grant usage on schema lookup to {role}; grant select on lookup.codes to {role};"
        ),
    );
    let project = project(
        postgres,
        postgres.host(),
        postgres.user(),
        &db,
        &format!(
            "      role: {role}\n      search_path: lookup, public\n      \
             keepalives_idle: 45\n      application_name: nightly build\n"
        ),
    );
    // `codes` resolves through the search path; the table is created by the role.
    project.write(
        "models/coded.sql",
        "{{ config(materialized='table') }}\nselect code from codes",
    );
    let built = run(&project, &["run"]);
    assert_eq!(built.code(), 0, "{built:?}");
    assert_eq!(
        postgres.psql(
            &db,
            "select tableowner, (select code from public.coded) from pg_tables where tablename = 'coded'"
        ),
        format!("{role}|7")
    );
    assert_eq!(
        query(
            &project,
            "select current_user as who, current_setting('search_path') as path, \
             current_setting('tcp_keepalives_idle') as idle, \
             current_setting('application_name') as app"
        ),
        [
            "who,path,idle,app".to_owned(),
            format!("{role},\"lookup, public\",45,nightly build")
        ]
    );
}

#[test]
fn connect_timeout_gives_up_on_a_server_that_never_answers() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    // The kernel accepts the connection; nothing ever reads from it or answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("loopback has a free port");
    let port = silent.local_addr().expect("bound").port();
    let project = project(
        postgres,
        postgres.host(),
        postgres.user(),
        "postgres",
        "      connect_timeout: 1\n      retries: 0\n",
    );
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml"))
        .expect("just written")
        .replace(
            &format!("port: {}", postgres.port()),
            &format!("port: {port}"),
        );
    project.write("profiles.yml", profiles);
    let started = std::time::Instant::now();
    let debug = run(&project, &["debug"]);
    assert_eq!(debug.code(), 1, "{debug:?}");
    assert!(
        debug.stdout().contains(&format!(
            "could not connect to Postgres at 127.0.0.1:{port}, database `postgres`, user `uxt_test`: no answer within 1 s"
        )),
        "{debug:?}"
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}
