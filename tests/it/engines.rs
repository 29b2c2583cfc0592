//! The same test body on DuckDB and on the harness's Postgres cluster.

use crate::harness::{Postgres, Project, profiles_yml_duckdb, profiles_yml_postgres};

pub enum Engine {
    DuckDb,
    Postgres(&'static Postgres),
}

impl Engine {
    /// DuckDB always; Postgres when the harness has a cluster (always under `CI=true`).
    pub fn all() -> Vec<Engine> {
        let mut engines = vec![Engine::DuckDb];
        if let Some(postgres) = Postgres::shared() {
            engines.push(Engine::Postgres(postgres));
        }
        engines
    }

    pub fn name(&self) -> &'static str {
        match self {
            Engine::DuckDb => "duckdb",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// Copies a fixture and points its profile at this engine.
    pub fn project(&self, fixture: &str, profile: &str) -> Project {
        self.project_from(Project::from_fixture(fixture), profile)
    }

    /// Points `profile` of a project (a fixture, or one a test writes) at this engine, on
    /// Postgres in a database of its own.
    pub fn project_from(&self, project: Project, profile: &str) -> Project {
        project.write("profiles.yml", self.profiles_yml(profile, profile));
        project
    }

    /// A `profiles.yml` that points `profile` at this engine, on Postgres at a new database
    /// named after `database`.
    pub fn profiles_yml(&self, profile: &str, database: &str) -> String {
        match self {
            Engine::DuckDb => profiles_yml_duckdb(profile),
            Engine::Postgres(postgres) => {
                profiles_yml_postgres(postgres, profile, &postgres.create_database(database))
            }
        }
    }
}

/// Rows of a query as CSV lines (header first), through `uxt show`.
pub fn query(project: &Project, sql: &str) -> Vec<String> {
    let output = project.run(&["show", "--inline", sql, "--limit", "-1", "--output", "csv"]);
    assert_eq!(output.code(), 0, "{output:?}");
    output.stdout().lines().map(str::to_string).collect()
}
