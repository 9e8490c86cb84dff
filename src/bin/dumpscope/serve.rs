//! `dumpscope serve`: the web app with its engine in this process, for dumps too large for a
//! browser tab. The dump is read from disk (slices, never the whole file) and analysed once
//! by the same engine the Web Worker runs (`engine::session`); the page is served from the
//! built app (`make dist`) and sends its protocol requests to `POST /api` instead of to a
//! worker.
//!
//! Threads: the main thread owns the engine (its state is not `Send`) and answers one
//! request at a time; an accept thread hands each connection (at most
//! [`CONNECTIONS_MAX`] at once) to a thread of its own, which reads the request, checks it
//! and passes protocol requests to the engine through a channel.
//!
//! Who may ask (every request, refused with an empty 403 otherwise):
//! - the socket is bound to 127.0.0.1 only;
//! - `Host` must be `127.0.0.1:PORT` or `localhost:PORT`, so a page of another site whose
//!   name resolves to 127.0.0.1 (DNS rebinding) is refused;
//! - an `Origin`, when sent, must be `http://127.0.0.1:PORT` or `http://localhost:PORT`;
//! - the token (128 bits from the OS, in the printed URL) must come with the request: as
//!   `?token=` or the `X-Dumpscope-Token` header, and for static files (`GET`/`HEAD`) also
//!   as the cookie the first tokened page load sets (`dumpscope-PORT`, HttpOnly,
//!   SameSite=Strict): the page's scripts, styles and wasm are fetched without the query.
//!   `POST /api` does not take the cookie: only the page, which read the token from its
//!   URL, can send the header.
//!
//! The protocol over HTTP: `POST /api` with a `RequestEnvelope` as JSON
//! (`Content-Type: application/json`). The answer is the `ResponseEnvelope` as JSON, or,
//! for a request whose answer is a file (an export, the pprof profile, the report), the
//! file itself with its MIME type and the envelope in the `X-Dumpscope-Response` header
//! (JSON, ASCII only).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use dumpscope::engine::protocol::{Progress, Request, RequestEnvelope, Response, ResponseEnvelope};
use dumpscope::engine::session::{ByteSource, FileBody, Reply, WorkerState};
use dumpscope::exe::Executable;
use dumpscope::units::human_bytes;

use crate::http;

/// Connections served at once; more are closed at once.
pub const CONNECTIONS_MAX: usize = 32;
/// A request must have arrived whole this long after its connection opened.
const READ_DEADLINE: Duration = Duration::from_secs(10);
/// A client that stops reading an answer for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// Load progress is printed at each phase and at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The Content-Security-Policy of every answer: the page's own (index.html) and no
/// framing. `connect-src 'self'`: the page talks to this server only.
const CSP: &str = "default-src 'self'; connect-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
                   worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What `dumpscope serve` was asked for.
pub struct Options<'a> {
    pub dump: &'a Path,
    pub port: u16,
    pub site: Option<&'a Path>,
    pub open: bool,
    /// `--exe`: its path and the executable read from it.
    pub exe: Option<(&'a Path, &'a Executable)>,
}

/// The dump on disk, read a slice at a time.
pub struct FileSource {
    file: File,
    size: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<FileSource, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let size = file.metadata().map_err(|e| e.to_string())?.len();
        Ok(FileSource { file, size })
    }
}

impl ByteSource for FileSource {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let n = self.size.saturating_sub(offset).min(len as u64) as usize;
        let mut buf = vec![0u8; n];
        read_exact_at(&self.file, &mut buf, offset).map_err(|e| e.to_string())?;
        Ok(buf)
    }

    fn size(&self) -> u64 {
        self.size
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// A protocol request from a connection thread, and where its answer goes.
struct Job {
    req: Request,
    reply: mpsc::Sender<Reply>,
}

/// What every connection thread shares.
struct Server {
    port: u16,
    token: String,
    /// The built app, canonical.
    site: PathBuf,
    /// Connections being served now.
    open: AtomicUsize,
}

/// Runs `dumpscope serve` until the process is stopped.
pub fn serve(opts: Options) -> Result<(), String> {
    let site = site_dir(opts.site)?;
    // Bound before the analysis, so a port in use fails at once.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, opts.port))
        .map_err(|e| format!("127.0.0.1:{}: {e}", opts.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let token = token()?;
    let state = open(&opts)?;
    let url = format!("http://127.0.0.1:{port}/?token={token}");
    println!("{url}");
    eprintln!(
        "dumpscope: serving {} at the URL above, on 127.0.0.1 only (Ctrl-C stops). The URL holds \
         the access token: share it with no one.",
        opts.dump.display()
    );
    if opts.open {
        open_browser(&url);
    }
    let server = Arc::new(Server {
        port,
        token,
        site,
        open: AtomicUsize::new(0),
    });
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept(listener, server, jobs))
        .map_err(|e| e.to_string())?;
    engine(state, queue);
    Err("the server stopped accepting connections".into())
}

/// The app's directory: `--site`, else `./dist`, else the `dist/` of the source tree this
/// binary was built in (`target/release/../../dist`).
fn site_dir(given: Option<&Path>) -> Result<PathBuf, String> {
    let candidates = match given {
        Some(d) => vec![d.to_path_buf()],
        None => {
            let mut v = vec![PathBuf::from("dist")];
            if let Some(dir) = std::env::current_exe().ok().and_then(|e| {
                e.parent()
                    .and_then(|p| p.parent())
                    .and_then(|p| p.parent())
                    .map(Path::to_path_buf)
            }) {
                v.push(dir.join("dist"));
            }
            v
        }
    };
    for c in &candidates {
        if c.join("index.html").is_file() {
            return c
                .canonicalize()
                .map_err(|e| format!("{}: {e}", c.display()));
        }
    }
    Err(match given {
        Some(d) => format!(
            "{}: no index.html there; build the web app with `make dist`",
            d.display()
        ),
        None => "no built web app in ./dist or in the source tree of this binary: build it with \
                 `make dist`, or give its directory with --site DIR"
            .into(),
    })
}

/// 128 bits from the OS, as 32 hex digits.
fn token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Peak memory of this process, as the app shows it (the worker shows its wasm memory).
fn memory_in_use() -> u64 {
    crate::bench::peak_rss().unwrap_or(0)
}

/// Opens and analyses the dump (and names it from `--exe`), printing progress.
fn open(opts: &Options) -> Result<WorkerState<FileSource>, String> {
    let name = opts.dump.file_name().map_or_else(
        || opts.dump.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let start = Instant::now();
    let now = || start.elapsed().as_secs_f64() * 1000.0;
    let mut last: Option<(String, Instant)> = None;
    let mut progress = |p: Progress| {
        let due = last
            .as_ref()
            .is_none_or(|(phase, t)| *phase != p.phase || t.elapsed() >= PROGRESS_EVERY);
        if due {
            eprintln!(
                "dumpscope: {} {:.0}% ({} of {} read, {} objects)",
                p.phase,
                p.fraction * 100.0,
                human_bytes(p.bytes_read),
                human_bytes(p.total_bytes),
                dumpscope::units::count(p.objects)
            );
            last = Some((p.phase, Instant::now()));
        }
    };
    let mut state = WorkerState::native();
    let source = FileSource::open(opts.dump);
    match state.open(name, source, &now, &mut progress, &memory_in_use) {
        Response::Loaded(l) => {
            if let Some(e) = &l.summary.decode_error {
                eprintln!(
                    "dumpscope: warning: {}: {e}; showing what was read before it",
                    opts.dump.display()
                );
            }
            eprintln!(
                "dumpscope: {} objects analysed in {:.1} s, {} of memory",
                dumpscope::units::count(l.summary.objects),
                start.elapsed().as_secs_f64(),
                human_bytes(l.wasm_memory_bytes)
            );
        }
        Response::LoadFailed { message } => return Err(message),
        other => return Err(format!("unexpected answer to the load: {other:?}")),
    }
    if let Some((path, exe)) = opts.exe {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match state.attach_executable(&name, exe, &memory_in_use) {
            Response::Loaded(_) => {}
            Response::Error { message } => return Err(message),
            other => return Err(format!("unexpected answer to --exe: {other:?}")),
        }
    }
    Ok(state)
}

fn open_browser(url: &str) {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let spawned = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped on a thread of its own: the opener may stay until the browser exits.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => eprintln!("dumpscope: cannot start {program} ({e}): open the URL yourself"),
    }
}

/// The engine's loop on the main thread: one request at a time. After a panic the engine
/// answers `Crashed` to everything, as a dead worker would; `dumpscope serve` must be
/// started again.
fn engine(mut state: WorkerState<FileSource>, queue: mpsc::Receiver<Job>) {
    let mut crashed: Option<String> = None;
    for job in queue {
        let reply = match &crashed {
            Some(message) => Response::Crashed {
                message: message.clone(),
            }
            .into(),
            None => {
                let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    answer(&mut state, &job.req)
                }));
                answered.unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "the engine panicked".into());
                    crashed = Some(message.clone());
                    Response::Crashed { message }.into()
                })
            }
        };
        let _ = job.reply.send(reply);
    }
}

/// The engine's answer, in serve's terms: it analyses the one dump it was started with.
fn answer(state: &mut WorkerState<FileSource>, req: &Request) -> Reply {
    let refuse = |message: &str| {
        Reply::from(Response::Error {
            message: message.into(),
        })
    };
    match req {
        Request::Load { .. } | Request::LoadUrl { .. } => refuse(
            "this page is served by `dumpscope serve`, which analyses the dump it was started \
             with: run `dumpscope serve FILE` for another one",
        ),
        Request::LoadCompare { .. } => refuse(
            "`dumpscope serve` does not compare dumps yet: `dumpscope diff OLD NEW` compares them \
             on the command line",
        ),
        Request::AttachExe { .. } => refuse(
            "`dumpscope serve` takes the executable when it starts: `dumpscope serve --exe BIN DUMP`",
        ),
        req => state.answer(req),
    }
}

/// Releases a connection's place when its thread ends, however it ends.
struct Slot(Arc<Server>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept(listener: TcpListener, server: Arc<Server>, jobs: mpsc::Sender<Job>) {
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            // Out of file descriptors, or the like: wait instead of spinning.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if server.open.fetch_add(1, Ordering::SeqCst) >= CONNECTIONS_MAX {
            server.open.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let slot = Slot(server.clone());
        let jobs = jobs.clone();
        let _ = std::thread::Builder::new()
            .name("http".into())
            .spawn(move || {
                let slot = slot;
                connection(stream, &slot.0, &jobs);
            });
    }
}

fn connection(mut stream: TcpStream, server: &Server, jobs: &mpsc::Sender<Job>) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let (resp, head_only) = match http::read_request(&mut stream, Instant::now() + READ_DEADLINE) {
        Ok(req) => (server.respond(&req, jobs), req.method == "HEAD"),
        Err(http::ReadError::Closed) => return,
        Err(http::ReadError::Refused(status, _)) => (http::Response::empty(status), false),
    };
    http::send(&mut stream, resp, &COMMON, head_only);
}

/// Headers on every answer, refusals included.
const COMMON: [(&str, &str); 6] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
];

/// Compares without stopping at the first difference.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

impl Server {
    fn cookie_name(&self) -> String {
        format!("dumpscope-{}", self.port)
    }

    /// `Host` names this server by its loopback address or `localhost`, with its port.
    fn host_ok(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return false };
        let port = self.port.to_string();
        match host.rsplit_once(':') {
            Some((name, p)) => {
                p == port && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
            }
            None => false,
        }
    }

    fn origin_ok(&self, origin: &str) -> bool {
        let port = self.port;
        origin == format!("http://127.0.0.1:{port}") || origin == format!("http://localhost:{port}")
    }

    /// The token from the query or the header.
    fn token_sent(&self, req: &http::Request) -> bool {
        req.query_param("token")
            .into_iter()
            .chain(req.header("x-dumpscope-token"))
            .any(|t| same_secret(t, &self.token))
    }

    /// The token from the cookie the first page load set.
    fn cookie_sent(&self, req: &http::Request) -> bool {
        let name = self.cookie_name();
        req.headers("cookie")
            .flat_map(|c| c.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .any(|(k, v)| k == name && same_secret(v, &self.token))
    }

    fn respond(&self, req: &http::Request, jobs: &mpsc::Sender<Job>) -> http::Response {
        let forbidden = http::Response::empty(403);
        if !self.host_ok(req.header("host")) {
            return forbidden;
        }
        if req.header("origin").is_some_and(|o| !self.origin_ok(o)) {
            return forbidden;
        }
        let is_get = req.method == "GET" || req.method == "HEAD";
        let token = self.token_sent(req);
        if !(token || (is_get && self.cookie_sent(req))) {
            return forbidden;
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api") => self.api(req, jobs),
            _ if is_get => {
                let resp = self.static_file(&req.path);
                if token {
                    resp.with(
                        "Set-Cookie",
                        format!(
                            "{}={}; Path=/; HttpOnly; SameSite=Strict",
                            self.cookie_name(),
                            self.token
                        ),
                    )
                } else {
                    resp
                }
            }
            _ => http::Response::empty(405).with("Allow", "GET, HEAD, POST".into()),
        }
    }

    /// A file of the built app; names are plain (letters, digits, `-`, `_`, `.`), never
    /// hidden, and must resolve inside the site.
    fn static_file(&self, path: &str) -> http::Response {
        let not_found = http::Response::empty(404);
        let rel = match path {
            "/" => "index.html",
            p => &p[1..],
        };
        let plain = |seg: &str| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if !rel.split('/').all(plain) {
            return not_found;
        }
        let Ok(full) = self.site.join(rel).canonicalize() else {
            return not_found;
        };
        if !full.starts_with(&self.site) {
            return not_found;
        }
        let Ok(file) = File::open(&full) else {
            return not_found;
        };
        match file.metadata() {
            Ok(m) if m.is_file() => http::Response {
                status: 200,
                headers: vec![("Content-Type", mime(&full).into())],
                body: http::Body::File(file, m.len()),
            },
            _ => not_found,
        }
    }

    /// `POST /api`: one protocol request, answered by the engine.
    fn api(&self, req: &http::Request, jobs: &mpsc::Sender<Job>) -> http::Response {
        let json_sent = req
            .header("content-type")
            .and_then(|c| c.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json_sent {
            return http::Response::empty(415);
        }
        let env: RequestEnvelope = match serde_json::from_slice(&req.body) {
            Ok(env) => env,
            Err(e) => {
                let resp = Response::Error {
                    message: format!("bad request: {e}"),
                };
                return envelope_json(400, 0, resp);
            }
        };
        let (reply, answer) = mpsc::channel();
        let sent = jobs.send(Job {
            req: env.req,
            reply,
        });
        match sent.ok().and_then(|()| answer.recv().ok()) {
            Some(reply) => reply_response(env.id, reply),
            None => http::Response::empty(503),
        }
    }
}

fn envelope_json(status: u16, id: u32, resp: Response) -> http::Response {
    match serde_json::to_vec(&ResponseEnvelope { id, resp }) {
        Ok(body) => http::Response::bytes(status, "application/json", body),
        Err(e) => {
            let resp = Response::Error {
                message: format!("cannot encode the response: {e}"),
            };
            let body = serde_json::to_vec(&ResponseEnvelope { id, resp }).unwrap_or_default();
            http::Response::bytes(500, "application/json", body)
        }
    }
}

/// An answer as HTTP: the envelope as JSON, or the file it announces with the envelope in
/// `X-Dumpscope-Response`.
fn reply_response(id: u32, reply: Reply) -> http::Response {
    let Some(file) = reply.file else {
        return envelope_json(200, id, reply.resp);
    };
    let file_name = match &reply.resp {
        Response::Export { file_name, .. }
        | Response::Report { file_name }
        | Response::Pprof { file_name, .. } => file_name.clone(),
        _ => "dumpscope-export".into(),
    };
    let envelope = match serde_json::to_string(&ResponseEnvelope {
        id,
        resp: reply.resp,
    }) {
        Ok(json) => ascii_json(&json),
        Err(e) => {
            let resp = Response::Error {
                message: format!("cannot encode the response: {e}"),
            };
            return envelope_json(500, id, resp);
        }
    };
    let (content_type, body) = match file.body {
        FileBody::Text(t) => (format!("{}; charset=utf-8", file.mime), t.into_bytes()),
        FileBody::Bytes(b) => (file.mime.to_string(), b),
    };
    let safe_name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    http::Response::bytes(200, &content_type, body)
        .with(
            "Content-Disposition",
            format!("attachment; filename=\"{safe_name}\""),
        )
        .with("X-Dumpscope-Response", envelope)
}

/// JSON text with every character outside printable ASCII written as `\uXXXX` (UTF-16, as
/// JSON spells them): the same value, fit for a header. serde_json already escapes control
/// characters inside strings, and outside strings there are none.
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        Server {
            port: 4321,
            token: "00ff".into(),
            site: PathBuf::from("/nonexistent"),
            open: AtomicUsize::new(0),
        }
    }

    #[test]
    fn host_and_origin_name_this_server() {
        let s = server();
        for ok in ["127.0.0.1:4321", "localhost:4321", "LocalHost:4321"] {
            assert!(s.host_ok(Some(ok)), "{ok}");
        }
        for bad in [
            None,
            Some("127.0.0.1"),
            Some("127.0.0.1:80"),
            Some("evil.example:4321"),
            Some("localhost.evil.example:4321"),
            Some("[::1]:4321"),
            Some("127.0.0.2:4321"),
        ] {
            assert!(!s.host_ok(bad), "{bad:?}");
        }
        assert!(s.origin_ok("http://127.0.0.1:4321"));
        assert!(s.origin_ok("http://localhost:4321"));
        for bad in [
            "null",
            "http://127.0.0.1:80",
            "https://127.0.0.1:4321",
            "http://evil.example",
        ] {
            assert!(!s.origin_ok(bad), "{bad}");
        }
    }

    #[test]
    fn the_token_comes_by_query_header_or_cookie() {
        let s = server();
        let req = |h: &str| http::parse_head(h.as_bytes()).unwrap();
        assert!(s.token_sent(&req("GET /?token=00ff HTTP/1.1")));
        assert!(s.token_sent(&req("GET /?a=1&token=00ff HTTP/1.1")));
        assert!(s.token_sent(&req("GET / HTTP/1.1\r\nX-Dumpscope-Token: 00ff")));
        assert!(!s.token_sent(&req("GET /?token=00fe HTTP/1.1")));
        assert!(!s.token_sent(&req("GET /?token=00ff0 HTTP/1.1")));
        assert!(s.cookie_sent(&req("GET / HTTP/1.1\r\nCookie: a=b; dumpscope-4321=00ff")));
        assert!(!s.cookie_sent(&req("GET / HTTP/1.1\r\nCookie: dumpscope-4322=00ff")));
        assert!(!s.token_sent(&req("GET / HTTP/1.1\r\nCookie: dumpscope-4321=00ff")));
    }

    #[test]
    fn header_json_is_ascii_and_the_same_value() {
        let v = serde_json::json!({"name": "héllo 😀 \u{7f}", "n": 1});
        let text = serde_json::to_string(&v).unwrap();
        let ascii = ascii_json(&text);
        assert!(ascii.bytes().all(|b| (b' '..=b'~').contains(&b)), "{ascii}");
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(back, v);
    }
}
