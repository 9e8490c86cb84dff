//! Just enough HTTP/1.1 for `dumpscope serve`: one request per connection, read within a
//! deadline and size limits (a client cannot make the server allocate or wait without
//! bound), answered, then the connection is closed. No chunked bodies, no keep-alive: the
//! only client is the app's own page on 127.0.0.1.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// The request line and headers, at most (a browser sends well under 2 KiB).
pub const HEAD_MAX: usize = 16 << 10;
/// A request body, at most: a protocol request is a few hundred bytes of JSON.
pub const BODY_MAX: usize = 1 << 20;
/// Header lines, at most.
pub const HEADERS_MAX: usize = 64;

/// A parsed request. Header names are lower case.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub method: String,
    /// The target's path, without the query.
    pub path: String,
    /// The target's query, without the `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the headers called `name` (lower case).
    pub fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key` in the query (`a=1&key=value`), as sent: no percent-decoding.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// Why no request was read.
#[derive(Debug, PartialEq)]
pub enum ReadError {
    /// The client went away, sent nothing in time, or the socket failed: nothing to answer.
    Closed,
    /// A request the server will not take, answered with this status and why.
    Refused(u16, &'static str),
}

/// Reads one request from `stream`, all of it before `deadline`.
pub fn read_request(stream: &mut TcpStream, deadline: Instant) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() >= HEAD_MAX + 4 {
            return Err(ReadError::Refused(431, "the request head is too large"));
        }
        let want = chunk.len().min(HEAD_MAX + 4 - buf.len());
        let n = read_some(stream, &mut chunk[..want], deadline)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end > HEAD_MAX {
        return Err(ReadError::Refused(431, "the request head is too large"));
    }
    let mut req = parse_head(&buf[..head_end]).map_err(|why| ReadError::Refused(400, why))?;
    let length = content_length(&req)?;
    let mut body = buf.split_off(head_end + 4);
    if body.len() > length {
        // Pipelined requests are not served: one request per connection.
        body.truncate(length);
    }
    body.reserve_exact(length - body.len());
    while body.len() < length {
        let want = chunk.len().min(length - body.len());
        let n = read_some(stream, &mut chunk[..want], deadline)?;
        body.extend_from_slice(&chunk[..n]);
    }
    req.body = body;
    Ok(req)
}

/// The body's length from `Content-Length` (0 without one); a chunked body is refused.
fn content_length(req: &Request) -> Result<usize, ReadError> {
    if req.header("transfer-encoding").is_some() {
        return Err(ReadError::Refused(
            400,
            "Transfer-Encoding is not accepted: send Content-Length",
        ));
    }
    let mut length = None;
    for v in req.headers("content-length") {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ReadError::Refused(400, "Content-Length is not a number"));
        }
        // Beyond u64 is beyond the limit too.
        let n = v.parse::<u64>().unwrap_or(u64::MAX);
        if length.is_some_and(|l| l != n) {
            return Err(ReadError::Refused(400, "two different Content-Lengths"));
        }
        length = Some(n);
    }
    match length {
        Some(n) if n > BODY_MAX as u64 => Err(ReadError::Refused(413, "the body is too large")),
        Some(n) => Ok(n as usize),
        None => Ok(0),
    }
}

/// Reads what has arrived (at least a byte) before `deadline`.
fn read_some(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<usize, ReadError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(ReadError::Closed);
        }
        match stream.read(buf) {
            Ok(0) => return Err(ReadError::Closed),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(ReadError::Closed),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the request line and headers (`head` ends before the blank line).
pub fn parse_head(head: &[u8]) -> Result<Request, &'static str> {
    let text = std::str::from_utf8(head).map_err(|_| "the request head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the request line is not `METHOD /path HTTP/1.1`");
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("the method is not a word in capitals");
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err("not HTTP/1.1");
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the target is not a path");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == HEADERS_MAX {
            return Err("too many headers");
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err("a header line has no colon");
        };
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err("a header name is not a token");
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err("a header value has control characters");
        }
        headers.push((
            name.to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }
    // One Host and one Origin: the checks made on them must be the ones that count.
    for unique in ["host", "origin"] {
        if headers.iter().filter(|(n, _)| n == unique).count() > 1 {
            return Err("a Host or Origin header is repeated");
        }
    }
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
    })
}

/// RFC 9110 token characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What an answer carries.
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// A file of this length, copied from disk as it is sent.
    File(std::fs::File, u64),
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Response {
    /// A status with an empty body (refusals say nothing).
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn bytes(status: u16, content_type: &str, bytes: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: Body::Bytes(bytes),
        }
    }

    pub fn with(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Writes `resp` with the `common` headers (and no body for a HEAD request), then closes
/// the connection: what the client still sends is read and dropped for a moment first, so
/// that closing does not reset the connection before the answer arrives.
pub fn send(stream: &mut TcpStream, resp: Response, common: &[(&str, &str)], head_only: bool) {
    let length = match &resp.body {
        Body::Empty => 0,
        Body::Bytes(b) => b.len() as u64,
        Body::File(_, n) => *n,
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (n, v) in common {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    for (n, v) in &resp.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ));
    let sent = (|| -> io::Result<()> {
        let mut w = io::BufWriter::with_capacity(64 << 10, &mut *stream);
        w.write_all(head.as_bytes())?;
        if !head_only {
            match resp.body {
                Body::Empty => {}
                Body::Bytes(b) => w.write_all(&b)?,
                Body::File(f, n) => {
                    io::copy(&mut f.take(n), &mut w)?;
                }
            }
        }
        w.flush()
    })();
    if sent.is_err() {
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < (1 << 20) {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &str) -> Result<Request, &'static str> {
        parse_head(s.as_bytes())
    }

    #[test]
    fn a_request_head_parses() {
        let r = head("POST /api?token=ab&x=1 HTTP/1.1\r\nHost: 127.0.0.1:80\r\nX-Dumpscope-Token:  ab \r\nCookie: a=1")
            .unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api"));
        assert_eq!(r.query_param("token"), Some("ab"));
        assert_eq!(r.query_param("x"), Some("1"));
        assert_eq!(r.query_param("y"), None);
        assert_eq!(r.header("x-dumpscope-token"), Some("ab"));
        assert_eq!(r.header("host"), Some("127.0.0.1:80"));
    }

    #[test]
    fn malformed_heads_are_refused() {
        for bad in [
            "",
            "GET",
            "GET /",
            "GET / HTTP/1.1 extra",
            "get / HTTP/1.1",
            "GET / HTTP/2",
            "GET http://evil/ HTTP/1.1",
            "GET /a\u{7f} HTTP/1.1",
            "GET / HTTP/1.1\r\nno colon",
            "GET / HTTP/1.1\r\n folded: x",
            "GET / HTTP/1.1\r\nBad Name: x",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b",
            "GET / HTTP/1.1\r\nOrigin: a\r\norigin: b",
            "GET / HTTP/1.1\r\nX: a\rb",
        ] {
            assert!(head(bad).is_err(), "{bad:?}");
        }
        assert!(parse_head(b"GET / HTTP/1.1\r\nX: \xff").is_err());
        let many = format!("GET / HTTP/1.1{}", "\r\nX: y".repeat(HEADERS_MAX + 1));
        assert_eq!(head(&many).err(), Some("too many headers"));
    }

    #[test]
    fn body_lengths_are_bounded() {
        let length = |h: &str| content_length(&head(h).unwrap());
        assert_eq!(length("POST / HTTP/1.1"), Ok(0));
        assert_eq!(length("POST / HTTP/1.1\r\nContent-Length: 12"), Ok(12));
        assert_eq!(
            length("POST / HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 12"),
            Ok(12)
        );
        for bad in [
            "POST / HTTP/1.1\r\nContent-Length: -1",
            "POST / HTTP/1.1\r\nContent-Length: +1",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked",
        ] {
            assert!(
                matches!(length(bad), Err(ReadError::Refused(400, _))),
                "{bad}"
            );
        }
        for big in ["1048577", "99999999999999999999999999"] {
            let h = format!("POST / HTTP/1.1\r\nContent-Length: {big}");
            assert!(
                matches!(length(&h), Err(ReadError::Refused(413, _))),
                "{big}"
            );
        }
    }
}
