//! `dumpscope serve` end to end: the real binary on 127.0.0.1, spoken to in raw HTTP over
//! a `TcpStream`. Who may ask (token, Host, Origin), what every answer carries (the CSP),
//! what garbage gets (a refusal, never a dead server), and that the protocol answers equal
//! what the CLI prints for the same dump.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const INDEX: &str = "<!doctype html><title>site</title>";
const SCRIPT: &str = "console.log('app');";

/// A stand-in for the built app (`dist/`): the tests need files, not the app.
fn site() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-site");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("app.js"), SCRIPT).unwrap();
    std::fs::write(dir.join(".hidden"), "no").unwrap();
    std::fs::write(dir.parent().unwrap().join("outside.txt"), "no").unwrap();
    dir
}

/// A running `dumpscope serve`, stopped when dropped.
struct Served {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(args)
        .arg("--site")
        .arg(site())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.is_empty() {
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        let _ = child.wait();
        panic!("dumpscope serve printed no URL: {err}");
    }
    let url = line.trim();
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("not a loopback URL: {url}"));
    let (port, token) = rest.split_once("/?token=").unwrap();
    assert_eq!(token.len(), 32, "128 bits in hex: {token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    Served {
        child,
        port: port.parse().unwrap(),
        token: token.to_string(),
    }
}

fn serve(dump: &str) -> Served {
    start(&[
        "serve",
        common::fixture(dump).to_str().unwrap(),
        "--port",
        "0",
    ])
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// A refusal: the status, an empty body, and the CSP like every answer.
    fn refused(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(self.body.is_empty(), "{self:?}");
        assert_eq!(self.header("content-length"), Some("0"));
        assert!(self.header("content-security-policy").is_some());
    }
}

/// Sends `raw` and reads the answer until the server closes the connection; `None` when it
/// closed without answering.
fn exchange(port: u16, raw: &[u8]) -> Option<Answer> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The server may refuse before it has read everything: then writing fails.
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let end = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8(out[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_string(), v.to_string())
        })
        .collect();
    let body = out[end + 4..].to_vec();
    let a = Answer {
        status,
        headers,
        body,
    };
    // A HEAD answer announces the length of the body it leaves out.
    if a.header("content-length").is_some() && !raw.starts_with(b"HEAD ") {
        let length: usize = a.header("content-length").unwrap().parse().unwrap();
        assert_eq!(length, a.body.len(), "Content-Length");
    }
    Some(a)
}

fn host(s: &Served) -> String {
    format!("127.0.0.1:{}", s.port)
}

fn get(s: &Served, path: &str, headers: &str) -> Answer {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n", host(s));
    exchange(s.port, raw.as_bytes()).expect("an answer")
}

/// `POST /api` with `body`; `auth` are the headers that carry the token (or not).
fn post(s: &Served, path: &str, auth: &str, body: &str) -> Answer {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}\r\n{body}",
        host(s),
        body.len()
    );
    exchange(s.port, raw.as_bytes()).expect("an answer")
}

fn token_header(s: &Served) -> String {
    format!("X-Dumpscope-Token: {}\r\n", s.token)
}

/// A protocol request, answered with its response envelope.
fn api(s: &Served, req: Value) -> Answer {
    let body = json!({ "id": 7, "req": req }).to_string();
    post(s, "/api", &token_header(s), &body)
}

fn api_json(s: &Served, req: Value) -> Value {
    let a = api(s, req);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.header("content-type"), Some("application/json"));
    let env = a.json();
    assert_eq!(env["id"], 7);
    env["resp"].clone()
}

fn cli(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn cli_json(args: &[&str]) -> Value {
    serde_json::from_slice(&cli(args)).unwrap()
}

#[test]
fn static_files_need_the_token_and_the_page_load_sets_a_cookie() {
    let s = serve("basic-go1.27.dump");
    let page = get(&s, &format!("/?token={}", s.token), "");
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body, INDEX.as_bytes());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let cookie = page.header("set-cookie").unwrap();
    let pair = format!("dumpscope-{}={}", s.port, s.token);
    assert!(cookie.starts_with(&format!("{pair};")), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));

    // No token, a wrong one, or one too long: 403 and nothing else.
    get(&s, "/", "").refused(403);
    get(&s, "/?token=00112233445566778899aabbccddeeff", "").refused(403);
    get(&s, &format!("/?token={}0", s.token), "").refused(403);
    get(&s, "/app.js", "").refused(403);
    get(
        &s,
        "/app.js",
        &format!("Cookie: dumpscope-1={}\r\n", s.token),
    )
    .refused(403);
    let wrong = &format!("dumpscope-{}=00112233445566778899aabbccddeeff", s.port);
    get(&s, "/app.js", &format!("Cookie: {wrong}\r\n")).refused(403);

    // The page's scripts come with the cookie, or the header.
    let script = get(&s, "/app.js", &format!("Cookie: a=b; {pair}\r\n"));
    assert_eq!(script.status, 200, "{script:?}");
    assert_eq!(script.body, SCRIPT.as_bytes());
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(script.header("x-content-type-options"), Some("nosniff"));
    assert!(script.header("set-cookie").is_none());
    assert_eq!(get(&s, "/app.js", &token_header(&s)).status, 200);

    // Only the site's own plain files.
    let auth = token_header(&s);
    for path in [
        "/.hidden",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/missing.js",
        "/app.js/",
        "//etc/passwd",
    ] {
        get(&s, path, &auth).refused(404);
    }

    // HEAD: the headers of GET, no body.
    let raw = format!("HEAD /app.js HTTP/1.1\r\nHost: {}\r\n{auth}\r\n", host(&s));
    let head = exchange(s.port, raw.as_bytes()).unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(&*SCRIPT.len().to_string())
    );

    // Other methods are refused, after the token.
    let raw = format!("DELETE /app.js HTTP/1.1\r\nHost: {}\r\n\r\n", host(&s));
    exchange(s.port, raw.as_bytes()).unwrap().refused(403);
    let raw = format!(
        "DELETE /app.js HTTP/1.1\r\nHost: {}\r\n{auth}\r\n",
        host(&s)
    );
    exchange(s.port, raw.as_bytes()).unwrap().refused(405);
}

#[test]
fn host_and_origin_must_name_this_server() {
    let s = serve("basic-go1.27.dump");
    let auth = token_header(&s);
    let port = s.port;
    let with_host = |h: &str, extra: &str| {
        let raw = format!("GET /app.js HTTP/1.1\r\n{h}{auth}{extra}\r\n");
        exchange(port, raw.as_bytes()).unwrap()
    };
    // DNS rebinding: another name that resolves to 127.0.0.1 is not this server.
    for bad in [
        format!("Host: evil.example:{port}\r\n"),
        format!("Host: localhost.evil.example:{port}\r\n"),
        "Host: 127.0.0.1:1\r\n".to_string(),
        "Host: 127.0.0.1\r\n".to_string(),
        String::new(),
    ] {
        with_host(&bad, "").refused(403);
    }
    assert_eq!(
        with_host(&format!("Host: localhost:{port}\r\n"), "").status,
        200
    );
    assert_eq!(
        with_host(&format!("Host: 127.0.0.1:{port}\r\n"), "").status,
        200
    );
    // Two Hosts: which one counts would be ambiguous.
    let two = format!("Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n");
    with_host(&two, "").refused(400);

    let h = format!("Host: 127.0.0.1:{port}\r\n");
    for bad in [
        "Origin: http://evil.example\r\n".to_string(),
        "Origin: null\r\n".to_string(),
        format!("Origin: http://127.0.0.1:{}\r\n", port.wrapping_add(1)),
        format!("Origin: https://127.0.0.1:{port}\r\n"),
    ] {
        with_host(&h, &bad).refused(403);
        post(
            &s,
            "/api",
            &format!("{auth}{bad}"),
            r#"{"id":1,"req":{"type":"status"}}"#,
        )
        .refused(403);
    }
    for good in [
        format!("Origin: http://127.0.0.1:{port}\r\n"),
        format!("Origin: http://localhost:{port}\r\n"),
    ] {
        assert_eq!(with_host(&h, &good).status, 200);
        let a = post(
            &s,
            "/api",
            &format!("{auth}{good}"),
            r#"{"id":1,"req":{"type":"status"}}"#,
        );
        assert_eq!(a.status, 200, "{a:?}");
    }
}

#[test]
fn the_api_takes_the_token_from_the_header_or_the_query_never_the_cookie() {
    let s = serve("basic-go1.27.dump");
    let status = r#"{"id":1,"req":{"type":"status"}}"#;
    let cookie = format!("Cookie: dumpscope-{}={}\r\n", s.port, s.token);
    post(&s, "/api", &cookie, status).refused(403);
    post(&s, "/api", "", status).refused(403);
    post(&s, "/api", "X-Dumpscope-Token: 0123\r\n", status).refused(403);
    let by_query = post(&s, &format!("/api?token={}", s.token), "", status);
    assert_eq!(by_query.status, 200, "{by_query:?}");
    assert_eq!(by_query.json()["resp"]["type"], "loaded");
    // A JSON body only: a form cannot post here from another page without a preflight.
    let raw = format!(
        "POST /api HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n{status}",
        host(&s),
        status.len(),
        token_header(&s)
    );
    exchange(s.port, raw.as_bytes()).unwrap().refused(415);
    // Not JSON of a request: 400 with the reason, as an envelope.
    let bad = post(
        &s,
        "/api",
        &token_header(&s),
        r#"{"id":1,"req":{"type":"nope"}}"#,
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["resp"]["type"], "error");
}

#[test]
fn the_engine_answers_what_the_cli_prints() {
    let dump = common::fixture("basic-go1.27.dump");
    let dump = dump.to_str().unwrap();
    let s = serve("basic-go1.27.dump");

    // The open dump: the CLI's summary, to the last field.
    let loaded = api_json(&s, json!({"type": "status"}));
    assert_eq!(loaded["type"], "loaded");
    assert_eq!(loaded["file_name"], "basic-go1.27.dump");
    let summary = cli_json(&["summary", "--json", dump]);
    assert_eq!(loaded["summary"], summary);
    assert!(summary["objects"].as_u64().unwrap() > 6000);

    // A page of classes: the CLI's class table, in the same order.
    let page = api_json(
        &s,
        json!({"type": "page", "table": {"kind": "classes"}, "offset": 0, "limit": 10,
               "sort": {"key": "retained", "desc": true}, "filter": ""}),
    );
    assert_eq!(page["type"], "page");
    let classes = cli_json(&["classes", "--json", "--limit", "10", dump]);
    let names = |v: &Value| -> Vec<(String, u64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["class"].as_str().unwrap().to_string(),
                    r["retained"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(names(&page["rows"]["items"]), names(&classes));

    // A file: the body is the file, the envelope is in a header.
    let csv = api(
        &s,
        json!({"type": "export", "table": {"kind": "classes"}, "sort": {"key": "retained", "desc": true},
               "filter": "", "format": "csv"}),
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"basic-go1.27-classes.csv\"")
    );
    let env: Value = serde_json::from_str(csv.header("x-dumpscope-response").unwrap()).unwrap();
    assert_eq!(env["id"], 7);
    assert_eq!(env["resp"]["type"], "export");
    let lines = String::from_utf8(csv.body.clone()).unwrap().lines().count() as u64;
    assert_eq!(env["resp"]["rows"].as_u64(), Some(lines - 1));

    // pprof: byte for byte what `dumpscope pprof` writes.
    let pprof = api(&s, json!({"type": "pprof"}));
    assert_eq!(
        pprof.header("content-type"),
        Some("application/octet-stream")
    );
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-basic.pb");
    cli(&["pprof", dump, "-o", out.to_str().unwrap()]);
    assert_eq!(pprof.body, std::fs::read(&out).unwrap());

    // It serves the dump it was started with, and no file travels to it.
    for (req, says) in [
        (
            json!({"type": "load", "name": "x.dump"}),
            "dumpscope serve FILE",
        ),
        (
            json!({"type": "load_url", "url": "sample.dump"}),
            "dumpscope serve FILE",
        ),
        (
            json!({"type": "load_compare", "name": "x.dump"}),
            "dumpscope diff",
        ),
        (json!({"type": "attach_exe", "name": "x"}), "--exe BIN"),
    ] {
        let resp = api_json(&s, req);
        assert_eq!(resp["type"], "error");
        assert!(resp["message"].as_str().unwrap().contains(says), "{resp}");
    }
    // Still the same dump.
    assert_eq!(api_json(&s, json!({"type": "status"})), loaded);
}

#[test]
fn exe_names_the_dump_as_in_the_cli() {
    let exe = common::fixture("prodlike-go1.27.exe");
    let dump = common::fixture("prodlike-go1.27.dump");
    let (exe, dump) = (exe.to_str().unwrap(), dump.to_str().unwrap());
    let s = start(&["--exe", exe, "serve", dump, "--port", "0"]);
    let loaded = api_json(&s, json!({"type": "status"}));
    let summary = cli_json(&["--exe", exe, "summary", "--json", dump]);
    assert!(summary["executable"].is_string(), "{summary}");
    assert_eq!(loaded["summary"], summary);
    // Another program's executable: no server.
    let other = common::fixture("prodlike-go1.19.exe");
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args([
            "--exe",
            other.to_str().unwrap(),
            "serve",
            dump,
            "--port",
            "0",
        ])
        .arg("--site")
        .arg(site())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "printed a URL");
}

#[test]
fn garbage_is_refused_and_the_server_lives_on() {
    let s = serve("basic-go1.27.dump");
    let h = host(&s);
    let auth = token_header(&s);
    let refused = |raw: &[u8], status: u16| match exchange(s.port, raw) {
        Some(a) => a.refused(status),
        None => panic!(
            "closed without an answer: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(80)])
        ),
    };
    refused(b"\x00\xff\x10garbage\r\n\r\n", 400);
    refused(b"GET / HTTP/1.1\r\nHost: \xff\r\n\r\n", 400);
    refused(b"GET http://evil.example/ HTTP/1.1\r\n\r\n", 400);
    refused(b"GET / HTTP/1.1\r\n folded\r\n\r\n", 400);
    // A head without end, past the limit.
    let mut long = format!("GET / HTTP/1.1\r\nHost: {h}\r\nX: ").into_bytes();
    long.resize(40 << 10, b'a');
    refused(&long, 431);
    // A body the server will not take: refused from its length, nothing allocated.
    let big = format!(
        "POST /api HTTP/1.1\r\nHost: {h}\r\n{auth}Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n"
    );
    refused(big.as_bytes(), 413);
    let chunked = format!(
        "POST /api HTTP/1.1\r\nHost: {h}\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    refused(chunked.as_bytes(), 400);
    let minus = format!("POST /api HTTP/1.1\r\nHost: {h}\r\nContent-Length: -1\r\n\r\n");
    refused(minus.as_bytes(), 400);
    // A body shorter than announced, then the client goes away; a head cut short.
    let short = format!(
        "POST /api HTTP/1.1\r\nHost: {h}\r\n{auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\""
    );
    for raw in [short.as_bytes(), b"GET / HT"] {
        let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.write_all(raw).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    }
    // JSON nested deeper than the parser goes: an error, not a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let a = post(&s, "/api", &auth, &deep);
    assert_eq!(a.status, 400);
    // Many connections at once, held open: the server keeps a bounded number of threads.
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", s.port)).ok())
        .collect();
    drop(held);
    // Alive and answering.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(api_json(&s, json!({"type": "status"}))["type"], "loaded");
}

/// Bound to 127.0.0.1 only: another loopback address (Linux routes all of 127/8 to lo) is
/// not answered, as no other interface would be.
#[cfg(target_os = "linux")]
#[test]
fn only_127_0_0_1_is_bound() {
    let s = serve("basic-go1.27.dump");
    assert!(TcpStream::connect(("127.0.0.2", s.port)).is_err());
    assert!(TcpStream::connect(("127.0.0.1", s.port)).is_ok());
}

#[test]
fn no_site_no_server() {
    let dump = common::fixture("basic-go1.27.dump");
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-empty-site");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["serve", dump.to_str().unwrap(), "--port", "0", "--site"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("make dist"), "{err}");
}
