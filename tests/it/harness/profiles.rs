//! `profiles.yml` contents for the two engines, each with one target named `dev`, so the same
//! test body can run on DuckDB and on Postgres by writing a different file.

use super::Postgres;

/// A DuckDB file under the project's `target/`, so it goes away with the project's temp dir.
pub fn profiles_yml_duckdb(profile: &str) -> String {
    format!(
        "\
{profile}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/dev.duckdb
      schema: main
      threads: 4
"
    )
}

/// The harness's cluster and a database of the test's own (see [`Postgres::create_database`]).
/// The password goes through `env_var` as a real project's would; the cluster trusts every
/// connection, so it may be empty.
pub fn profiles_yml_postgres(postgres: &Postgres, profile: &str, dbname: &str) -> String {
    format!(
        "\
{profile}:
  target: dev
  outputs:
    dev:
      type: postgres
      host: {host}
      port: {port}
      user: {user}
      password: \"{{{{ env_var('UXT_TEST_PG_PASSWORD', '') }}}}\"
      dbname: {dbname}
      schema: public
      threads: 4
",
        host = postgres.host(),
        port = postgres.port(),
        user = postgres.user(),
    )
}
