//! How uxt reaches a Postgres server: the profile's TLS, session and retry keys turned into the
//! connection attempts libpq would make, in libpq's order.
//!
//! `allow` tries without TLS and, when the server turns that down, with it; `prefer` the other
//! way round; the rest make one kind of attempt. A TLS attempt checks the server's certificate
//! chain whenever there is a root certificate to check it against (`sslrootcert`, or libpq's
//! default `~/.postgresql/root.crt`), and the host name only under `verify-full`, as libpq does.
//! Every message names the server and the files, never the password.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{AssertSqlSafe, Connection};

use super::super::{DbError, DbResult, quote};
use crate::project::profile::{PostgresTarget, RootCert, SslMode};

/// libpq's default files under `~/.postgresql/`.
const DEFAULT_ROOT_CERT: &str = ".postgresql/root.crt";
const DEFAULT_CLIENT_CERT: &str = ".postgresql/postgresql.crt";
const DEFAULT_CLIENT_KEY: &str = ".postgresql/postgresql.key";

/// What one connection attempt asks of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tls {
    Off,
    /// Encrypted, the server's certificate taken as it comes (`require` without a root cert).
    Unverified,
    /// The certificate chain checked against the root certificates.
    Chain,
    /// The chain and the host name checked.
    ChainAndName,
}

/// The ways to connect to one server, in the order libpq tries them.
pub(super) struct Connector {
    attempts: Vec<(Tls, PgConnectOptions)>,
    sslmode: SslMode,
    /// Where the certificate chain is checked against, for `uxt debug`.
    roots: Option<String>,
    /// `None` waits as long as the network does, as libpq's `connect_timeout: 0`.
    pub(super) timeout: Option<Duration>,
    retries: u32,
    /// Statements every new session runs first (`set role`, keepalives), as dbt-postgres does.
    pub(super) session: Vec<String>,
}

/// A first connection, and how it was made: the pool opens the rest the same way.
pub(super) struct Established {
    pub(super) connection: PgConnection,
    pub(super) tls: Tls,
    pub(super) options: PgConnectOptions,
}

/// Why connecting failed, in words that never include the password.
pub(super) struct ConnectFailure {
    pub(super) reason: String,
    pub(super) sqlstate: Option<String>,
    /// Whether trying again could help (the server refuses or is still starting up).
    transient: bool,
    /// Whether the server or the TLS handshake turned this kind of attempt down, which is when
    /// libpq's `allow` and `prefer` try the other kind.
    rejected: bool,
}

impl Connector {
    /// Resolves the profile's files (relative to the project root, `~/` to the home folder) and
    /// settles the attempts; a missing file or a mode without what it needs fails here.
    pub(super) fn new(config: &PostgresTarget, project_root: &Path) -> DbResult<Connector> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let explicit = |key: &str, path: &Path| -> DbResult<PathBuf> {
            let resolved = resolve(path, project_root, home.as_deref());
            if resolved.is_file() {
                Ok(resolved)
            } else {
                Err(DbError::new(format!(
                    "`{key}` file `{}` does not exist",
                    resolved.display()
                )))
            }
        };
        let default = |file: &str| home.as_ref().map(|h| h.join(file)).filter(|p| p.is_file());
        let root_file = match &config.sslrootcert {
            Some(RootCert::File(path)) => Some(explicit("sslrootcert", path)?),
            Some(RootCert::System) => None,
            None => default(DEFAULT_ROOT_CERT),
        };
        let system_roots = config.sslrootcert == Some(RootCert::System);
        let cert = match &config.sslcert {
            Some(path) => Some(explicit("sslcert", path)?),
            None => default(DEFAULT_CLIENT_CERT),
        };
        let key = match &config.sslkey {
            Some(path) => Some(explicit("sslkey", path)?),
            None => default(DEFAULT_CLIENT_KEY),
        };
        let client = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (Some(cert), None) => {
                return Err(DbError::new(format!(
                    "the client certificate `{}` needs its private key: set `sslkey`",
                    cert.display()
                )));
            }
            (None, Some(key)) if config.sslkey.is_some() => {
                return Err(DbError::new(format!(
                    "the private key `{}` needs its certificate: set `sslcert`",
                    key.display()
                )));
            }
            (None, _) => None,
        };
        let checked = if root_file.is_some() {
            Tls::Chain
        } else {
            Tls::Unverified
        };
        let needs_roots = |mode: SslMode| {
            DbError::new(format!(
                "`sslmode: {}` checks the server's certificate, and there is nothing to check it \
                 against: set `sslrootcert` to the file of the authority that signed it (or \
                 `system` for the public authorities, with `verify-full`); libpq's default \
                 `~/.postgresql/root.crt` does not exist",
                mode.name()
            ))
        };
        let kinds = if config.host.starts_with('/') {
            // libpq never uses TLS on a Unix socket, whatever `sslmode` says.
            vec![Tls::Off]
        } else {
            match config.sslmode {
                SslMode::Disable => vec![Tls::Off],
                SslMode::Allow => vec![Tls::Off, checked],
                SslMode::Prefer => vec![checked, Tls::Off],
                SslMode::Require => vec![checked],
                SslMode::VerifyCa if root_file.is_some() => vec![Tls::Chain],
                SslMode::VerifyFull if root_file.is_some() || system_roots => {
                    vec![Tls::ChainAndName]
                }
                mode @ (SslMode::VerifyCa | SslMode::VerifyFull) => {
                    return Err(needs_roots(mode));
                }
            }
        };
        let base = base_options(config);
        let attempts = kinds
            .into_iter()
            .map(|tls| {
                let mut options = base.clone().ssl_mode(match tls {
                    Tls::Off => PgSslMode::Disable,
                    Tls::Unverified => PgSslMode::Require,
                    Tls::Chain => PgSslMode::VerifyCa,
                    Tls::ChainAndName => PgSslMode::VerifyFull,
                });
                if tls != Tls::Off {
                    if let Some(root) = &root_file {
                        options = options.ssl_root_cert(root);
                    }
                    if let Some((cert, key)) = &client {
                        options = options.ssl_client_cert(cert).ssl_client_key(key);
                    }
                }
                (tls, options)
            })
            .collect();
        // A server (14 and later) that checks every second whether uxt is still there stops
        // the statements of a killed run, which would otherwise hold their locks until done.
        let mut session = vec![
            "select set_config('client_connection_check_interval', '1000', false) \
             where current_setting('server_version_num')::int >= 140000"
                .to_owned(),
        ];
        if let Some(role) = &config.role {
            session.push(format!("set role {}", role_name(role)));
        }
        if let Some(seconds) = config.keepalives_idle {
            session.push(format!("set tcp_keepalives_idle = {seconds}"));
        }
        Ok(Connector {
            attempts,
            sslmode: config.sslmode,
            roots: match (&root_file, system_roots) {
                (Some(file), _) => Some(format!("`{}`", file.display())),
                (None, true) => Some("the public authorities bundled with uxt".to_owned()),
                (None, false) => None,
            },
            timeout: Some(Duration::from_secs(config.connect_timeout))
                .filter(|timeout| !timeout.is_zero()),
            retries: config.retries,
            session,
        })
    }

    /// Connects once, trying again after 1, 4, 9... seconds (dbt's back-off) while the failure
    /// is transient and `retries` allows.
    pub(super) async fn establish(&self) -> Result<Established, ConnectFailure> {
        let mut round = 0u32;
        loop {
            let failure = match self.try_attempts().await {
                Ok(established) => return Ok(established),
                Err(failure) => failure,
            };
            if !failure.transient || round >= self.retries {
                return Err(failure);
            }
            round += 1;
            tokio::time::sleep(Duration::from_secs(u64::from(round * round))).await;
        }
    }

    /// libpq's sequence: the next kind of attempt only when the server or the handshake turned
    /// the previous one down, never after a network failure.
    async fn try_attempts(&self) -> Result<Established, ConnectFailure> {
        let mut turned_down: Vec<String> = Vec::new();
        let mut attempts = self.attempts.iter().peekable();
        while let Some((tls, options)) = attempts.next() {
            let failure = match self.open(options).await {
                Ok(connection) => {
                    return Ok(Established {
                        connection,
                        tls: *tls,
                        options: options.clone(),
                    });
                }
                Err(failure) => failure,
            };
            let reason = format!(
                "{} TLS: {}",
                if *tls == Tls::Off { "without" } else { "with" },
                failure.reason
            );
            if !failure.rejected || attempts.peek().is_none() {
                return Err(ConnectFailure {
                    reason: if turned_down.is_empty() {
                        failure.reason
                    } else {
                        turned_down.push(reason);
                        turned_down.join("; then ")
                    },
                    ..failure
                });
            }
            turned_down.push(reason);
        }
        unreachable!("a connector has at least one attempt, and the last one returns")
    }

    /// One connection with the session statements run, within the timeout.
    pub(super) async fn open(
        &self,
        options: &PgConnectOptions,
    ) -> Result<PgConnection, ConnectFailure> {
        let connect = async {
            let mut connection = PgConnection::connect_with(options)
                .await
                .map_err(|error| connect_failure(&error))?;
            for statement in &self.session {
                if let Err(error) = sqlx::raw_sql(AssertSqlSafe(statement.clone()))
                    .execute(&mut connection)
                    .await
                {
                    let mut failure = connect_failure(&error);
                    failure.reason = format!("`{statement}` failed: {}", failure.reason);
                    failure.rejected = false;
                    return Err(failure);
                }
            }
            Ok(connection)
        };
        match self.timeout {
            None => connect.await,
            Some(timeout) => tokio::time::timeout(timeout, connect)
                .await
                .unwrap_or_else(|_| {
                    Err(ConnectFailure {
                        reason: format!("no answer within {} s", timeout.as_secs()),
                        sqlstate: None,
                        transient: true,
                        rejected: false,
                    })
                }),
        }
    }

    /// How a connection made with `tls` is protected, in words for `uxt debug`.
    pub(super) fn describe(&self, tls: Tls) -> String {
        let mode = self.sslmode.name();
        let roots = self.roots.as_deref().unwrap_or("the root certificates");
        match tls {
            Tls::Off => format!("none (`sslmode: {mode}`)"),
            Tls::Unverified => {
                format!("TLS, the server's certificate not checked (`sslmode: {mode}`)")
            }
            Tls::Chain => format!(
                "TLS, the server's certificate checked against {roots}, not its host name (`sslmode: {mode}`)"
            ),
            Tls::ChainAndName => format!(
                "TLS, the server's certificate checked against {roots} and for its host name (`sslmode: {mode}`)"
            ),
        }
    }
}

/// Host, user, database and the session settings every attempt shares.
fn base_options(config: &PostgresTarget) -> PgConnectOptions {
    // Without pgpass: it would be read before our host and user are set, for the wrong target.
    let mut options = PgConnectOptions::new_without_pgpass()
        .host(&config.host)
        .port(config.port)
        .username(&config.user)
        .database(&config.dbname)
        .application_name(&config.application_name);
    if let Some(search_path) = &config.search_path {
        // At startup, as dbt-postgres passes it to libpq's `options`.
        options = options.options([("search_path", search_path)]);
    }
    // An empty password leaves `PGPASSWORD` in effect, as libpq does.
    if config.password.is_empty() {
        options
    } else {
        options.password(&config.password)
    }
}

fn resolve(path: &Path, project_root: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => project_root.join(path),
    }
}

/// dbt-postgres sends `set role <role>` as written, so a plain name folds to lower case there;
/// anything else is quoted so that it reaches the server as one name.
fn role_name(role: &str) -> String {
    let plain = role
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain { role.to_owned() } else { quote(role) }
}

pub(super) fn connect_failure(error: &sqlx::Error) -> ConnectFailure {
    match error {
        // rustls reports a failed handshake (a certificate it refuses, say) as invalid data.
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => ConnectFailure {
            reason: tls_reason(&io.to_string()),
            sqlstate: None,
            transient: false,
            rejected: true,
        },
        sqlx::Error::Io(io) => ConnectFailure {
            reason: match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                _ => io.to_string(),
            },
            sqlstate: None,
            transient: true,
            rejected: false,
        },
        sqlx::Error::Tls(inner) => ConnectFailure {
            reason: tls_reason(&inner.to_string()),
            sqlstate: None,
            transient: false,
            rejected: true,
        },
        sqlx::Error::Database(database) => {
            let sqlstate = database.code().map(|code| code.into_owned());
            ConnectFailure {
                reason: database.message().to_owned(),
                // 57P03: the server is starting up; 53300: too many connections right now.
                transient: matches!(sqlstate.as_deref(), Some("57P03" | "53300")),
                rejected: true,
                sqlstate,
            }
        }
        other => ConnectFailure {
            reason: other.to_string(),
            sqlstate: None,
            transient: false,
            rejected: false,
        },
    }
}

/// rustls' words, with what they mean for a Postgres profile.
fn tls_reason(message: &str) -> String {
    let help = if message.contains("server does not support TLS") {
        return "the server does not accept TLS connections".to_owned();
    } else if message.contains("UnknownIssuer") {
        ": the server's certificate is not signed by an authority in `sslrootcert`"
    } else if message.contains("NotValidForName") || message.contains("not valid for name") {
        ": the server's certificate is not for this host name (`verify-full` checks it, \
         `verify-ca` does not)"
    } else if message.contains("Expired") {
        ": the server's certificate has expired"
    } else {
        ""
    };
    format!("TLS handshake failed ({message}){help}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_role_names_fold_as_in_dbt_and_others_are_quoted() {
        assert_eq!(role_name("Analyst"), "Analyst");
        assert_eq!(role_name("read-only"), "\"read-only\"");
        assert_eq!(role_name("x\"y"), "\"x\"\"y\"");
    }

    #[test]
    fn refused_connections_are_retried_and_named_plainly() {
        let refused = sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
        let failure = connect_failure(&refused);
        assert!(failure.transient);
        assert!(!failure.rejected);
        assert_eq!(failure.reason, "connection refused");
        assert!(!connect_failure(&sqlx::Error::PoolClosed).transient);
    }
}
