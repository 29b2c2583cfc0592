//! A project in a fresh temp dir, and the outcome of running `uxt` on it.
//!
//! Each test gets its own copy, so tests can change files, build `target/` and run in parallel
//! without touching `tests/fixtures/` or each other.

use std::fmt;
use std::fs;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use tempfile::TempDir;

use super::uxt;

/// A uxt project in a temp dir that is removed when the value is dropped.
pub struct Project {
    dir: TempDir,
}

impl Project {
    /// A copy of `tests/fixtures/<name>/`, for tests that start from a whole project.
    pub fn from_fixture(name: &str) -> Project {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        assert!(
            fixture.is_dir(),
            "no fixture project at `{}`",
            fixture.display()
        );
        let project = Project::empty();
        copy_dir(&fixture, project.path());
        project
    }

    /// An empty dir, for tests that write the few files they need with [`Project::write`].
    pub fn empty() -> Project {
        let dir = tempfile::Builder::new()
            .prefix("uxt-project-")
            .tempdir()
            .expect("the temp dir is writable");
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds or replaces a file, creating its parent dirs; returns `self` so writes can chain.
    pub fn write(&self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &Project {
        let path = self.path().join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|error| panic!("create `{}`: {error}", parent.display()));
        }
        fs::write(&path, contents)
            .unwrap_or_else(|error| panic!("write `{}`: {error}", path.display()));
        self
    }

    /// Runs `uxt <args> --project-dir <this dir>` from inside the dir, so that paths relative to
    /// either the project or the working directory land in the temp dir. Stdin is empty: uxt
    /// must never wait for input in a test.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_env(args, &[])
    }

    /// [`Project::run`] with environment variables set for this run only (a password that the
    /// profile reads with `env_var`, a `HOME` of the test's own).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = uxt()
            .envs(env.iter().copied())
            .args(args)
            .arg("--project-dir")
            .arg(self.path())
            .current_dir(self.path())
            .stdin(Stdio::null())
            .output()
            .expect("the uxt binary built by cargo can be started");
        Output {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// What one `uxt` run showed the user. Its `Debug` prints the command and both streams, so
/// `assert_eq!(output.code(), 0, "{output:?}")` explains a failure on its own.
pub struct Output {
    args: Vec<String>,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Output {
    /// The exit code; a run killed by a signal has none, and fails the test with both streams.
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("uxt was killed by a signal\n{self:?}"))
    }

    /// The exit code, `None` when a signal ended the run.
    pub fn status_code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    pub fn stderr(&self) -> &str {
        &self.stderr
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "`uxt {}` ended with {}",
            self.args.join(" "),
            self.status
        )?;
        writeln!(f, "--- stdout ---")?;
        writeln!(f, "{}", self.stdout.trim_end())?;
        writeln!(f, "--- stderr ---")?;
        write!(f, "{}", self.stderr.trim_end())
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let entries =
        fs::read_dir(from).unwrap_or_else(|error| panic!("read `{}`: {error}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|error| panic!("read `{}`: {error}", from.display()));
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            fs::create_dir(&target)
                .unwrap_or_else(|error| panic!("create `{}`: {error}", target.display()));
            copy_dir(&source, &target);
        } else {
            fs::copy(&source, &target).unwrap_or_else(|error| {
                panic!(
                    "copy `{}` to `{}`: {error}",
                    source.display(),
                    target.display()
                )
            });
        }
    }
}
