//! The user-facing error model. A [`Diagnostic`] is a problem in the user's project, data or
//! arguments: a stable [`Code`] from the registry in [`codes`], a [`Severity`], a one-line
//! message, the place in a file, and a `help:` with the fix. Anything else is an internal error
//! carried by `anyhow` with context. Rendering goes through miette; only `ui` writes the rendered
//! text anywhere.

pub mod codes;

pub use self::codes::{Code, Severity};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use regex::Regex;

/// Where a diagnostic points: a project-relative file, its text, and a byte range or a line.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: String,
    pub source: Option<Arc<str>>,
    /// Byte range in `source`; when absent, `line` (1-based) locates the problem.
    pub span: Option<(usize, usize)>,
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with its code's severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            location: None,
            help: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order diagnostics are reported in: by file, then line, then message.
    fn sort_key(&self) -> (Option<&str>, Option<usize>, &str, &str) {
        (
            self.file(),
            self.location.as_ref().and_then(|l| l.line),
            self.code.name(),
            &self.message,
        )
    }

    /// Sorts diagnostics for reporting and drops repeats (a warning of one shared config seen
    /// from several nodes).
    pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
    }

    /// Points at a file with no particular place in it.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.location = Some(Location {
            file: file.into(),
            source: None,
            span: None,
            line: None,
        });
        self
    }

    /// Points at a 1-based line of a file whose text is known.
    pub fn at_line(mut self, file: impl Into<String>, source: Arc<str>, line: usize) -> Self {
        self.location = Some(Location {
            file: file.into(),
            source: Some(source),
            span: None,
            line: Some(line),
        });
        self
    }

    /// Points at a byte range of a file whose text is known.
    pub fn at_span(
        mut self,
        file: impl Into<String>,
        source: Arc<str>,
        span: (usize, usize),
    ) -> Self {
        let line = source[..span.0.min(source.len())].matches('\n').count() + 1;
        self.location = Some(Location {
            file: file.into(),
            source: Some(source),
            span: Some(span),
            line: Some(line),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same problem reported as a warning, where it does not stop this command (an unknown
    /// key that is ignored, a package's template that the project never renders).
    pub fn as_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn file(&self) -> Option<&str> {
        self.location
            .as_ref()
            .map(|location| location.file.as_str())
    }

    /// The diagnostic as text for a terminal: a snippet of the file with the place underlined.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(110);
        let named = self.location.as_ref().and_then(|location| {
            let source = location.source.as_ref()?;
            Some(NamedSource::new(
                location.file.clone(),
                mask_secrets(source),
            ))
        });
        let mut out = String::new();
        match handler.render_report(
            &mut out,
            &Renderable {
                diagnostic: self,
                named,
            },
        ) {
            Ok(()) => out,
            Err(_) => self.to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(Location {
                file,
                line: Some(line),
                ..
            }) => write!(f, "{}: {} ({file}:{line})", self.code, self.message),
            Some(Location { file, .. }) => write!(f, "{}: {} ({file})", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Adapts a [`Diagnostic`] to miette's renderer.
struct Renderable<'a> {
    diagnostic: &'a Diagnostic,
    named: Option<NamedSource<String>>,
}

impl fmt::Debug for Renderable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Renderable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.diagnostic.location {
            Some(Location {
                file,
                line: Some(line),
                source: None,
                ..
            }) => {
                write!(f, "{} ({file}:{line})", self.diagnostic.message)
            }
            Some(Location {
                file, source: None, ..
            }) => write!(f, "{} ({file})", self.diagnostic.message),
            _ => f.write_str(&self.diagnostic.message),
        }
    }
}

impl std::error::Error for Renderable<'_> {}

impl miette::Diagnostic for Renderable<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.name()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.named
            .as_ref()
            .map(|named| named as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.diagnostic.location.as_ref()?;
        let source = location.source.as_ref()?;
        let span = match (location.span, location.line) {
            (Some((start, end)), _) => (start, end.saturating_sub(start).max(1)),
            (None, Some(line)) => line_span(source, line)?,
            _ => return None,
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".into()),
            SourceSpan::from(span),
        ))))
    }
}

/// Keys whose values are secrets wherever they appear (`profiles.yml`, a package's credentials).
static SECRET_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?im)^(\s*-?\s*["']?(?:password|pass|passwd|pwd|secret|token|api_key|apikey|private_key|private_key_passphrase|client_secret|motherduck_token|secret_access_key|aws_secret_access_key)["']?\s*[:=]\s*)([^\r\n]+)$"#,
    )
    .expect("static regex")
});

/// The text of a snippet with every secret value starred out, byte for byte so that spans still
/// point where they did. Values that are Jinja (`{{ env_var('PW') }}`) are shown: they hold no
/// secret and tell where it comes from.
pub fn mask_secrets(source: &str) -> String {
    SECRET_VALUE
        .replace_all(source, |capture: &regex::Captures| {
            let value = &capture[2];
            if value.contains("{{") {
                capture[0].to_string()
            } else {
                format!("{}{}", &capture[1], "*".repeat(value.len()))
            }
        })
        .into_owned()
}

/// The byte span of a 1-based line, without its newline.
fn line_span(source: &str, line: usize) -> Option<(usize, usize)> {
    let mut offset = 0;
    for (index, text) in source.split('\n').enumerate() {
        if index + 1 == line {
            let trimmed = text.trim_end_matches('\r');
            let indent = trimmed.len() - trimmed.trim_start().len();
            return Some((offset + indent, trimmed.trim().len().max(1)));
        }
        offset += text.len() + 1;
    }
    None
}

/// The closest candidate to `name`, for "did you mean" help; `None` when nothing is close.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Why a command stopped: problems in the user's input (exit 1) or an internal failure (exit 2).
#[derive(Debug)]
pub enum Error {
    Diagnostics(Vec<Diagnostic>),
    Usage(String),
    Internal(anyhow::Error),
}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Self {
        Error::Diagnostics(vec![diagnostic])
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Error::Diagnostics(diagnostics)
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        match error
            .chain()
            .find_map(|cause| cause.downcast_ref::<WriteError>())
        {
            Some(write) => write.diagnostic().into(),
            None => Error::Internal(error),
        }
    }
}

/// A file uxt writes for the user (an artifact, compiled SQL, the docs site, the log) that
/// cannot be written. It becomes a [`Code::ArtifactsWrite`] diagnostic naming the file and
/// what to do, wherever it passes through `anyhow`.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl WriteError {
    /// For `map_err`: the error of writing (or creating) `path`.
    pub fn at(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
        move |error| WriteError {
            path: path.to_path_buf(),
            error,
        }
    }

    pub fn diagnostic(&self) -> Diagnostic {
        use std::io::ErrorKind;
        let folder = self
            .path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(&self.path)
            .display();
        let elsewhere = "or choose another folder with `--target-path` (`--log-path` for the log)";
        let help = match self.error.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
                format!("free some space on the disk that holds `{folder}`, {elsewhere}")
            }
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                format!("make `{folder}` writable for this user, {elsewhere}")
            }
            ErrorKind::IsADirectory | ErrorKind::DirectoryNotEmpty => format!(
                "`{}` is a folder where uxt writes a file: move it away, {elsewhere}",
                self.path.display()
            ),
            // Creating a folder where a file is.
            ErrorKind::AlreadyExists => format!(
                "`{}` is a file where uxt needs a folder: move it away, {elsewhere}",
                self.path.display()
            ),
            ErrorKind::NotADirectory => format!(
                "a file stands where uxt needs the folder `{folder}`: move it away, {elsewhere}"
            ),
            _ => format!("check that `{folder}` can be written, {elsewhere}"),
        };
        Diagnostic::new(Code::ArtifactsWrite, self.to_string()).with_help(help)
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write `{}`: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_diagnostic_shows_file_line_and_help() {
        let source: Arc<str> = Arc::from("select 1\nfrom {{ ref('stg_peple') }}\n");
        let diagnostic = Diagnostic::new(Code::ParseUnknownRef, "model `stg_peple` not found")
            .at_line("models/a.sql", source, 2)
            .with_help("did you mean `stg_people`?");
        let text = diagnostic.render(false);
        assert!(text.contains("models/a.sql:2"), "{text}");
        assert!(text.contains("did you mean `stg_people`?"), "{text}");
        assert!(text.contains("uxt::parse::unknown_ref"), "{text}");
    }

    #[test]
    fn snippets_star_out_secret_values_and_keep_their_spans() {
        let source =
            "dev:\n  password: hunter2\n  pass: 'x'\n  token: \"{{ env_var('T') }}\"\n  user: me\n";
        let masked = mask_secrets(source);
        assert_eq!(masked.len(), source.len());
        assert!(
            !masked.contains("hunter2") && !masked.contains("'x'"),
            "{masked}"
        );
        assert!(masked.contains("env_var('T')"), "{masked}");
        let diagnostic = Diagnostic::new(Code::ProfileInvalid, "bad").at_line(
            "profiles.yml",
            Arc::from(source),
            5,
        );
        assert!(!diagnostic.render(false).contains("hunter2"));
    }

    #[test]
    fn closest_finds_near_names_only() {
        assert_eq!(
            closest("stg_peple", ["stg_people", "orders"]),
            Some("stg_people")
        );
        assert_eq!(closest("zzz", ["stg_people", "orders"]), None);
    }
}
