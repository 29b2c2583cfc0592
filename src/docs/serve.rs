//! `uxt docs serve`: a small static file server over `target/`, bound to the address asked for.
//! Serves files only from inside that folder; no listing, no writes.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use tiny_http::{Header, Response};

/// A bound server; [`Server::run`] answers requests until the process ends.
pub struct Server {
    http: tiny_http::Server,
    root: PathBuf,
    /// Where the site is, with the port actually bound (port 0 asks for any free one).
    pub url: String,
}

/// Binds `host:port` to serve the files of `root`.
pub fn serve(root: &Path, host: &str, port: u16) -> anyhow::Result<Server> {
    let http = tiny_http::Server::http((host, port))
        .map_err(|error| anyhow::anyhow!("cannot listen on {host}:{port}: {error}"))?;
    let bound = http
        .server_addr()
        .to_ip()
        .map_or(port, |address| address.port());
    let shown_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Ok(Server {
        http,
        root: root.to_path_buf(),
        url: format!("http://{shown_host}:{bound}/"),
    })
}

impl Server {
    pub fn run(self) {
        for request in self.http.incoming_requests() {
            let response = match resolve(&self.root, request.url()) {
                Some(path) => match std::fs::read(&path) {
                    Ok(bytes) => Response::from_data(bytes)
                        .with_header(header("Content-Type", content_type(&path)))
                        .with_status_code(200),
                    Err(_) => not_found(),
                },
                None => not_found(),
            };
            // A client that went away is not the server's problem.
            let _ = request.respond(response);
        }
    }
}

/// The file a URL path names under `root`, or `None` for anything outside it.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let path = path.trim_start_matches('/');
    let relative = Path::new(if path.is_empty() { super::INDEX } else { path });
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let full = root.join(relative);
    full.is_file().then_some(full)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("sql") | Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Header {
    // Both halves are ASCII constants from this file.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid static header")
}

fn not_found() -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string("not found")
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
        .with_status_code(404)
}

/// Opens the URL in the desktop's browser; `Err` names what could not be started.
pub fn open_browser(url: &str) -> anyhow::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("could not start `{opener}` to open {url}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let root = std::env::temp_dir();
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/a/../../b"), None);
        assert_eq!(resolve(&root, "//etc/passwd"), None);
    }
}
