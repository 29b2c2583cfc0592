//! Throwaway PostgreSQL 15 clusters shared by every test of the process.
//!
//! Started on first use: `initdb` into a temp dir, `trust` auth for the superuser `uxt_test`,
//! a free port on 127.0.0.1, durability off (the data is thrown away). Tests isolate themselves
//! with a database each, so they can run in parallel on one cluster. [`Postgres::shared`] speaks
//! plain TCP; [`Postgres::tls_only`], started only by the tests that ask for it, refuses anything
//! but TLS, as managed services do, with certificates the harness makes with `openssl`.
//!
//! A static is never dropped, so no `Drop` could stop the server. Instead a watchdog process,
//! started before `initdb`, blocks reading a pipe that only this process holds open; the pipe
//! closes when the process exits for any reason (normal end, panic, signal, `kill -9`), and the
//! watchdog then stops the server and removes the dir.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian's `postgresql-15` puts the server binaries; `UXT_TEST_PG_BIN` overrides it for
/// machines that keep them elsewhere.
const DEFAULT_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";
const HOST: &str = "127.0.0.1";
const USER: &str = "uxt_test";
/// `initdb` and `postgres` refuse to run as root; Debian's package creates this system user.
const SERVER_USER_WHEN_ROOT: &str = "postgres";
/// Another process may take the free port between our check and the server's bind.
const START_ATTEMPTS: usize = 3;

/// The TLS-only cluster's roles besides the superuser: one that logs in with a password, one
/// that logs in with a client certificate.
pub const PASSWORD_USER: &str = "analyst";
pub const PASSWORD: &str = "s3cret-Pa55word";
pub const CERT_USER: &str = "cert_user";

/// Who may connect how to the TLS-only cluster: nothing without TLS over TCP.
const TLS_ONLY_HBA: &str = "\
local all all trust
hostssl all cert_user 127.0.0.1/32 cert
hostssl all analyst 127.0.0.1/32 scram-sha-256
hostssl all all 127.0.0.1/32 trust
";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Plain,
    TlsOnly,
}

/// The shared cluster. Connect as [`Postgres::user`] to [`Postgres::host`]:[`Postgres::port`]
/// with any password.
pub struct Postgres {
    bin_dir: PathBuf,
    port: u16,
    /// The cluster's temp dir; the TLS-only one keeps its certificates in `certs/` there.
    dir: PathBuf,
    /// Never waited on, and its stdin never written to: that pipe staying open is what keeps the
    /// watchdog waiting until this process exits (see the module doc).
    _watchdog: Child,
}

impl Postgres {
    /// The cluster, started by the first caller. `None` when the server binaries are missing
    /// outside CI, after printing why, so the test returns early as skipped:
    /// `let Some(postgres) = Postgres::shared() else { return };`.
    /// Under `CI=true` a missing server fails the test instead: CI must not pass by skipping.
    pub fn shared() -> Option<&'static Postgres> {
        static SHARED: OnceLock<Postgres> = OnceLock::new();
        let bin_dir = bin_dir()?;
        Some(SHARED.get_or_init(|| Postgres::start(bin_dir, Transport::Plain)))
    }

    /// A second cluster that accepts TCP connections only over TLS, with a server certificate
    /// for the name `localhost` (not the address `127.0.0.1`) signed by a test authority (see
    /// [`Postgres::certificate`]), the role [`PASSWORD_USER`] with [`PASSWORD`] and the role
    /// [`CERT_USER`] that logs in with `client.crt`. `None` as for [`Postgres::shared`].
    pub fn tls_only() -> Option<&'static Postgres> {
        static TLS_ONLY: OnceLock<Postgres> = OnceLock::new();
        let bin_dir = bin_dir()?;
        Some(TLS_ONLY.get_or_init(|| {
            let postgres = Postgres::start(bin_dir, Transport::TlsOnly);
            postgres.psql(
                "postgres",
                &format!(
                    "create role {PASSWORD_USER} login password '{PASSWORD}' createdb; \
                     create role {CERT_USER} login createdb;"
                ),
            );
            postgres
        }))
    }

    /// A file of the TLS-only cluster's certificates: `ca.crt` (the authority that signed the
    /// server's and the client's), `client.crt` and `client.key` (for [`CERT_USER`]),
    /// `other-ca.crt` (an authority that signed nothing here).
    pub fn certificate(&self, name: &str) -> PathBuf {
        self.dir.join("certs").join(name)
    }

    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        USER
    }

    /// A new, empty database for one test, named after `name` plus a number unique in this
    /// process, so a name reused by two tests never collides. Returns the actual name.
    pub fn create_database(&self, name: &str) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // Postgres cuts names at 63 bytes; keep room for the number.
        let stem: String = name
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '_' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '_',
            })
            .take(48)
            .collect();
        let dbname = format!("{stem}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.psql("postgres", &format!("CREATE DATABASE \"{dbname}\""));
        dbname
    }

    /// Runs `sql` (one or more statements) in `db` and returns what psql printed: unaligned,
    /// tuples only, columns separated by `|`, rows by newlines, without the final newline.
    /// An SQL error fails the test with psql's message.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut child = Command::new(self.bin_dir.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", HOST, "-U", USER, "-d", db, "-p"])
            .arg(self.port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql is installed with the server");
        // Through stdin rather than `-c`, so each statement's rows are printed, not only the last.
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(sql.as_bytes())
            .expect("psql reads its whole input");
        let output = child.wait_with_output().expect("psql runs to its end");
        assert!(
            output.status.success(),
            "psql on `{db}` failed ({}):\n{}\nSQL:\n{sql}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
        String::from_utf8(output.stdout)
            .expect("the cluster's encoding is UTF8")
            .trim_end_matches('\n')
            .to_owned()
    }

    fn start(bin_dir: PathBuf, transport: Transport) -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix("uxt-pg-")
            .tempdir()
            .expect("the temp dir is writable")
            // The watchdog removes it: a static's `TempDir` would never be dropped.
            .keep();
        let server_user = is_root().then_some(SERVER_USER_WHEN_ROOT);
        let data = dir.join("data");
        let log = dir.join("postgres.log");

        // First, so that a failure further down still leaves nothing behind.
        let mut stop = server_command(server_user, &bin_dir.join("pg_ctl"));
        stop.arg("stop")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate"]);
        let mut watchdog = spawn_watchdog(&dir, &stop);

        let mut tls_options = String::new();
        if transport == Transport::TlsOnly {
            let certs = dir.join("certs");
            make_certificates(&certs);
            // The server reads its key only if no one else may.
            fs::set_permissions(certs.join("server.key"), fs::Permissions::from_mode(0o600))
                .expect("the key was just written");
            tls_options = format!(
                " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key \
                 -c ssl_ca_file={0}/ca.crt",
                certs.display()
            );
        }
        if let Some(user) = server_user {
            run(Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(&dir));
        }
        run(server_command(server_user, &bin_dir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C"])
            .args(["--no-sync", "--no-instructions"])
            .current_dir(&dir));
        if transport == Transport::TlsOnly {
            run(server_command(server_user, Path::new("sh"))
                .args(["-c", r#"printf '%s' "$1" > "$2""#, "sh", TLS_ONLY_HBA])
                .arg(data.join("pg_hba.conf")));
        }

        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let options = format!(
                "-p {port} -k {} -c listen_addresses={HOST} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off{tls_options}",
                dir.display()
            );
            // `-l` sends the server's output to a file, so it does not hold our pipes open.
            let started = server_command(server_user, &bin_dir.join("pg_ctl"))
                .args(["start", "-w", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-o", &options])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .expect("pg_ctl can be started");
            if started.status.success() {
                return Postgres {
                    bin_dir,
                    port,
                    dir,
                    _watchdog: watchdog,
                };
            }
        }
        let log_text = fs::read_to_string(&log).unwrap_or_default();
        // Clean up now rather than when the tests end: closing the pipe lets the watchdog go.
        drop(watchdog.stdin.take());
        let _ = watchdog.wait();
        panic!("PostgreSQL did not start in {START_ATTEMPTS} attempts; its log:\n{log_text}");
    }
}

/// The server binaries, or `None` (after saying why) when they are missing outside CI.
fn bin_dir() -> Option<PathBuf> {
    let bin_dir = std::env::var_os("UXT_TEST_PG_BIN")
        .map_or_else(|| PathBuf::from(DEFAULT_BIN_DIR), PathBuf::from);
    if !bin_dir.join("initdb").is_file() {
        let missing = format!(
            "PostgreSQL 15 server binaries not found at `{}`: install postgresql-15 \
             (`scripts/test` does so when run as root)",
            bin_dir.display()
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and {missing}"
        );
        skip(&missing);
        return None;
    }
    Some(bin_dir)
}

/// A test authority and the certificates it signs, made with the `openssl` command: the
/// server's for `localhost` only, and a client's for [`CERT_USER`]. Elliptic-curve keys, which
/// are quick to make.
fn make_certificates(dir: &Path) {
    fs::create_dir_all(dir).expect("the cluster's dir is writable");
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (name, subject) in [
        ("ca", "/CN=uxt test authority"),
        ("other-ca", "/CN=uxt other authority"),
    ] {
        openssl(
            &[
                &["req", "-x509"][..],
                &key[..],
                &[
                    "-days",
                    "3",
                    "-subj",
                    subject,
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.crt"),
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat(),
        );
    }
    for (name, subject, extensions) in [
        (
            "server",
            "/CN=localhost",
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        (
            "client",
            &format!("/CN={CERT_USER}"),
            "extendedKeyUsage=clientAuth\n",
        ),
    ] {
        fs::write(dir.join(format!("{name}.ext")), extensions).expect("the certs dir is writable");
        openssl(
            &[
                &["req"][..],
                &key[..],
                &[
                    "-subj",
                    subject,
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                ],
            ]
            .concat(),
        );
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.crt"),
        ]);
    }
}

/// `program` run as the cluster's owner: the current user, or `user` through `runuser` when
/// the tests run as root.
fn server_command(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Waits for EOF on a pipe from this process, then runs `stop` and removes `dir`. It has its own
/// process group, so a Ctrl-C that kills the tests does not kill it before it cleans up, and no
/// stdout or stderr, so it does not keep a CI log pipe open after the tests end.
fn spawn_watchdog(dir: &Path, stop: &Command) -> Child {
    Command::new("sh")
        .args([
            "-c",
            r#"dir=$1; shift; cat >/dev/null; "$@"; rm -rf "$dir""#,
        ])
        .arg("uxt-pg-watchdog")
        .arg(dir)
        .arg(stop.get_program())
        .args(stop.get_args())
        .current_dir("/")
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh can be started")
}

fn run(command: &mut Command) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("start {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .expect("`id` is on every Unix");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A port nothing listens on now; the server binds it a moment later (see `START_ATTEMPTS`).
fn free_port() -> u16 {
    TcpListener::bind((HOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("loopback has a free port")
        .port()
}

#[allow(
    clippy::print_stderr,
    reason = "the skip line is the test's own output, captured by the test runner"
)]
fn skip(why: &str) {
    eprintln!("skipped: {why}");
}
