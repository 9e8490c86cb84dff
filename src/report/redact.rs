//! Redaction for shareable reports: what a report may say about a dump when it leaves the
//! machine.
//!
//! A report never holds object contents or string values (nothing in it reads them). A
//! redacted report also:
//!
//! - replaces every address (`0x…`: objects, type descriptors, globals, PCs) with a
//!   pseudonym, `o-3f9a1c07` for an address in a dump's heap range and `a-…` for any other.
//!   The pseudonym is the first 32 bits of HMAC-SHA256 of the address under the report key
//!   (see [`ReportKey::mac`]): the same address gets
//!   the same pseudonym within a report and across reports made with the same key, and
//!   nothing about the address can be learnt without the key. Offsets written `+0x…`
//!   (a global's offset in its segment, a local's offset in its frame) are not addresses and
//!   stay.
//! - keeps an allocation site's file as `base.go:line` only when the file lies in the main
//!   package's directory or below it, and otherwise drops file and line and keeps the
//!   function name ([`SourceFiles`] has the rule). Directories are never shown.
//! - names dumps by their file's base name.
//!
//! Redaction works on the report's serialized form: every string field is rewritten, so a
//! field added later cannot slip through (numbers are counts, sizes and times, never
//! addresses).

use std::collections::{HashMap, HashSet};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::heap::Heap;

/// The 32-byte secret behind the pseudonyms. It stays on the user's machine (the CLI keeps
/// it in `~/.config/dumpscope/report.key`, the web app in the browser's localStorage).
#[derive(Clone, PartialEq, Eq)]
pub struct ReportKey([u8; 32]);

impl std::fmt::Debug for ReportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportKey(…)")
    }
}

impl ReportKey {
    pub fn from_bytes(b: [u8; 32]) -> ReportKey {
        ReportKey(b)
    }

    /// 64 hex digits (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<ReportKey, String> {
        let t = text.trim();
        if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "a report key is 64 hex digits (32 bytes); found {} characters",
                t.len()
            ));
        }
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(ReportKey(k))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// HMAC-SHA256 under the whole key of a domain tag, a 0 byte and the message; the first
    /// 64 bits of the tag, big-endian (so its hex digits are the tag's first hex digits).
    pub fn mac(&self, domain: &str, msg: &[u8]) -> u64 {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        m.update(domain.as_bytes());
        m.update(&[0]);
        m.update(msg);
        let tag = m.finalize().into_bytes();
        u64::from_be_bytes(tag[..8].try_into().expect("a SHA-256 tag has 32 bytes"))
    }
}

/// The files of allocation sites and which of them a redacted report may name.
///
/// The rule, from what a dump offers (allocation stacks give a function name and a file path
/// per frame; with `-trimpath` paths start with the import path instead of a directory):
///
/// 1. The main package's directory is the directory that holds the files of the `main.*`
///    functions in the allocation stacks, the most common one when they differ (an inlined
///    call shows the callee's file under the caller's name). Directories that hold another
///    package's code (a frame of package `p` whose file's directory is `p` or ends in `/p`),
///    that lie under GOROOT (the directory above the runtime's own `runtime/` files) or in a
///    module cache or vendor directory are never the main package's.
/// 2. A file in that directory or below it is kept as its base name and line
///    (`main.go:42`). Any other file (GOROOT, the module cache, vendored or other modules)
///    is dropped with its line; the function name stays.
/// 3. When no `main.*` frame is sampled, no file is kept.
#[derive(Clone, Debug, Default)]
pub struct SourceFiles {
    /// Distinct (function, file, line) of every allocation-stack frame seen.
    frames: HashSet<(String, String, u64)>,
}

/// Whether a path lies in a module cache (`…/pkg/mod/…`, `module@version/…`) or a vendor
/// directory.
fn is_dependency(path: &str) -> bool {
    path.contains("/pkg/mod/")
        || path.starts_with("vendor/")
        || path.contains("/vendor/")
        || path.split('/').any(|c| c.contains('@'))
}

/// The import path of a function's package: `github.com/a/b.(*T).M` → `github.com/a/b`.
fn package_of(func: &str) -> &str {
    let start = func.rfind('/').map_or(0, |i| i + 1);
    match func[start..].find('.') {
        Some(d) => &func[..start + d],
        None => func,
    }
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn base_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl SourceFiles {
    /// Adds the allocation-stack frames of a dump.
    pub fn add(&mut self, h: &Heap) {
        for f in &h.bucket_frames {
            self.frames
                .insert((h.str(f.func).to_string(), h.str(f.file).to_string(), f.line));
        }
    }

    pub fn add_frame(&mut self, func: &str, file: &str, line: u64) {
        self.frames
            .insert((func.to_string(), file.to_string(), line));
    }

    /// GOROOT's `src/` directory (with its trailing slash), from the runtime's frames; None
    /// with `-trimpath` (the runtime's files are then `runtime/…`).
    fn goroot_src(&self) -> Option<&str> {
        self.frames
            .iter()
            .filter(|(func, _, _)| package_of(func) == "runtime")
            .filter_map(|(_, file, _)| {
                let i = file.rfind("/runtime/")?;
                (dir_of(file).len() == i + "/runtime".len()).then(|| &file[..i + 1])
            })
            .min()
    }

    /// The main package's directory (see the type's docs).
    pub fn main_dir(&self) -> Option<String> {
        let goroot = self.goroot_src();
        let mut other: HashSet<&str> = HashSet::new();
        let mut votes: HashMap<&str, u64> = HashMap::new();
        for (func, file, _) in &self.frames {
            let pkg = package_of(func);
            let dir = dir_of(file);
            if pkg == "main" {
                *votes.entry(dir).or_default() += 1;
            } else if dir == pkg || dir.ends_with(&format!("/{pkg}")) {
                other.insert(dir);
            }
        }
        votes
            .into_iter()
            .filter(|(d, _)| {
                !other.contains(d)
                    && !is_dependency(&format!("{d}/"))
                    && !goroot.is_some_and(|g| format!("{d}/").starts_with(g))
            })
            .max_by(|x, y| {
                x.1.cmp(&y.1)
                    .then(y.0.len().cmp(&x.0.len()))
                    .then(y.0.cmp(x.0))
            })
            .map(|(d, _)| d.to_string())
    }

    /// The allocation-site labels (`func (base.go:line)`, as `analysis::naming` writes them)
    /// of every frame, each with whether a redacted report keeps its file.
    fn site_labels(&self) -> HashMap<String, bool> {
        let main = self.main_dir();
        let goroot = self.goroot_src();
        let mut out: HashMap<String, bool> = HashMap::new();
        for (func, file, line) in &self.frames {
            let keep = main.as_deref().is_some_and(|m| {
                let under = if m.is_empty() {
                    !file.contains('/')
                } else {
                    file.strip_prefix(m).is_some_and(|r| r.starts_with('/'))
                };
                under && !is_dependency(file) && !goroot.is_some_and(|g| file.starts_with(g))
            });
            let label = format!("{func} ({}:{line})", base_of(file));
            // Two frames printing alike with different verdicts: the file is dropped.
            let e = out.entry(label).or_insert(keep);
            *e &= keep;
        }
        out
    }
}

/// What a redactor learns from the dumps of a report.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    heap_ranges: Vec<(u64, u64)>,
    pub files: SourceFiles,
}

impl Evidence {
    pub fn add(&mut self, h: &Heap) {
        self.heap_ranges
            .push((h.params.heap_start, h.params.heap_end));
        self.files.add(h);
    }
}

/// Rewrites the strings of a report (see the module docs).
pub struct Redactor {
    key: ReportKey,
    heap_ranges: Vec<(u64, u64)>,
    /// Site label → whether its file is kept.
    sites: HashMap<String, bool>,
}

impl Redactor {
    pub fn new(key: &ReportKey, ev: &Evidence) -> Redactor {
        Redactor {
            key: key.clone(),
            heap_ranges: ev.heap_ranges.clone(),
            sites: ev.files.site_labels(),
        }
    }

    /// `o-…` for an address in a heap range, `a-…` otherwise: 8 hex digits of the keyed MAC.
    pub fn pseudonym(&self, addr: u64) -> String {
        let in_heap = self
            .heap_ranges
            .iter()
            .any(|&(lo, hi)| addr >= lo && addr < hi);
        let m = self.key.mac("dumpscope/address", &addr.to_le_bytes());
        format!("{}-{:08x}", if in_heap { 'o' } else { 'a' }, m >> 32)
    }

    /// Whether a redacted report keeps the file of the allocation site `label`
    /// (`func (base.go:line)`).
    pub fn keeps_site_file(&self, label: &str) -> bool {
        self.sites.get(label).copied().unwrap_or(false)
    }

    /// A string with its site files and addresses rewritten.
    pub fn text(&self, s: &str) -> String {
        self.addresses(&self.site_files(s))
    }

    /// Drops ` (file:line)` after a function name unless the site's file is kept.
    fn site_files(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find(" (") {
            let after = &rest[i + 2..];
            let Some(j) = after.find(')') else { break };
            let inner = &after[..j];
            let is_site = inner.rsplit_once(':').is_some_and(|(file, line)| {
                !file.is_empty()
                    && !line.is_empty()
                    && line.bytes().all(|b| b.is_ascii_digit())
                    && !file.contains(|c: char| c.is_whitespace() || c == '(')
            });
            if !is_site {
                out.push_str(&rest[..i + 2]);
                rest = after;
                continue;
            }
            let head = &rest[..i];
            let func = &head[head.rfind(char::is_whitespace).map_or(0, |k| k + 1)..];
            if self.keeps_site_file(&format!("{func} ({inner})")) {
                out.push_str(&rest[..i + 2 + j + 1]);
            } else {
                out.push_str(head);
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Every `0x…` not written `+0x…` becomes a pseudonym.
    fn addresses(&self, s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let is_hex_start = b[i] == b'0'
                && i + 2 < b.len()
                && (b[i + 1] == b'x' || b[i + 1] == b'X')
                && b[i + 2].is_ascii_hexdigit();
            if !is_hex_start {
                i += 1;
                continue;
            }
            let mut end = i + 2;
            while end < b.len() && b[end].is_ascii_hexdigit() {
                end += 1;
            }
            let offset = i > 0 && b[i - 1] == b'+';
            if !offset {
                out.push_str(&s[last..i]);
                match u64::from_str_radix(&s[i + 2..end], 16) {
                    Ok(v) => out.push_str(&self.pseudonym(v)),
                    // Longer than 64 bits: not an address, but nothing to keep either.
                    Err(_) => out.push_str("a-????????"),
                }
                last = end;
            }
            i = end;
        }
        out.push_str(&s[last..]);
        out
    }

    /// Rewrites every string in a JSON value (object keys are field names and stay).
    pub fn value(&self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.text(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.value(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.value(x)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ReportKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        ReportKey(k)
    }

    #[test]
    fn keys_parse_and_print() {
        let k = key();
        assert_eq!(
            ReportKey::parse(&format!(" {}\n", k.to_hex())),
            Ok(k.clone())
        );
        assert!(ReportKey::parse("abc").is_err());
        assert!(ReportKey::parse(&"g".repeat(64)).is_err());
        assert_eq!(format!("{k:?}"), "ReportKey(…)");
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let mut ev = Evidence::default();
        ev.heap_ranges.push((0xc000000000, 0xc100000000));
        let r = Redactor::new(&key(), &ev);
        let p = r.pseudonym(0xc000123450);
        assert!(p.starts_with("o-") && p.len() == 10, "{p}");
        assert_eq!(p, r.pseudonym(0xc000123450));
        assert_ne!(p, r.pseudonym(0xc000123458));
        assert!(r.pseudonym(0x57fda0).starts_with("a-"));
        let mut other = key().0;
        other[31] ^= 1;
        let r2 = Redactor::new(&ReportKey(other), &ev);
        assert_ne!(p, r2.pseudonym(0xc000123450));
    }

    #[test]
    fn pseudonyms_are_truncated_hmac_sha256() {
        // Expected values from Python's hmac module: HMAC-SHA256 under key 00..1f of
        // b"dumpscope/address\0" + the address as 8 little-endian bytes.
        let mut ev = Evidence::default();
        ev.heap_ranges.push((0xc000000000, 0xc100000000));
        let r = Redactor::new(&key(), &ev);
        assert_eq!(r.pseudonym(0xc000123450), "o-adb7af73");
        assert_eq!(r.pseudonym(0x57fda0), "a-59b4747d");
        assert_eq!(
            key().mac("dumpscope/address", &0xc000123450u64.to_le_bytes()),
            0xadb7_af73_715e_210c
        );
    }

    #[test]
    fn addresses_are_rewritten_offsets_stay() {
        let r = Redactor::new(&key(), &Evidence::default());
        let s = r.text("global in bss segment +0x310 (0x5b77d0) at 0xC000AB and type@0x566d18");
        assert!(!s.contains("5b77d0") && !s.contains("c000ab") && !s.contains("566d18"));
        assert!(s.contains("+0x310"), "{s}");
        assert!(s.contains("type@a-"), "{s}");
        assert_eq!(r.text("0x"), "0x");
        assert_eq!(r.text("no addresses here"), "no addresses here");
    }

    fn files(frames: &[(&str, &str)]) -> SourceFiles {
        let mut f = SourceFiles::default();
        for (func, file) in frames {
            f.add_frame(func, file, 42);
        }
        f
    }

    #[test]
    fn main_module_files_are_kept_others_dropped() {
        let f = files(&[
            ("runtime.mallocgc", "/usr/local/go/src/runtime/malloc.go"),
            ("main.main", "/home/alice/app/main.go"),
            ("main.main", "/usr/local/go/src/os/file.go"),
            ("main.newSession", "/home/alice/app/session.go"),
            (
                "main.newSession",
                "/home/alice/go/pkg/mod/github.com/x/y@v1.2.3/y.go",
            ),
            (
                "github.com/x/y.New",
                "/home/alice/go/pkg/mod/github.com/x/y@v1.2.3/y.go",
            ),
            ("example.com/app/store.Put", "/home/alice/app/store/put.go"),
            ("os.newFile", "/usr/local/go/src/os/file_unix.go"),
            (
                "strings.(*Builder).grow",
                "/usr/local/go/src/strings/builder.go",
            ),
        ]);
        assert_eq!(f.main_dir().as_deref(), Some("/home/alice/app"));
        let ev = Evidence {
            files: f,
            ..Evidence::default()
        };
        let r = Redactor::new(&key(), &ev);
        assert_eq!(r.text("main.main (main.go:42)"), "main.main (main.go:42)");
        assert_eq!(
            r.text("holds 3 × main.newSession (session.go:42) (48 B)"),
            "holds 3 × main.newSession (session.go:42) (48 B)"
        );
        assert_eq!(
            r.text("example.com/app/store.Put (put.go:42)"),
            "example.com/app/store.Put (put.go:42)"
        );
        assert_eq!(r.text("main.main (file.go:42)"), "main.main");
        assert_eq!(r.text("main.newSession (y.go:42)"), "main.newSession");
        assert_eq!(
            r.text("os.newFile (file_unix.go:42) (64 B)"),
            "os.newFile (64 B)"
        );
        assert_eq!(r.text("github.com/x/y.New (y.go:42)"), "github.com/x/y.New");
        // Unknown sites are dropped; other parentheses stay.
        assert_eq!(r.text("main.gone (gone.go:7)"), "main.gone");
        assert_eq!(
            r.text("goroutine 1 · main.main (frame 3) local +0x10"),
            "goroutine 1 · main.main (frame 3) local +0x10"
        );
    }

    #[test]
    fn trimpath_files() {
        // -trimpath: the main module's files start with its module path, GOROOT's with the
        // package path.
        let f = files(&[
            ("runtime.mallocgc", "runtime/malloc.go"),
            ("main.main", "dumpscope/fixtures/basic/main.go"),
            ("main.main", "os/file.go"),
            ("main.waitBlocked", "dumpscope/fixtures/basic/main.go"),
            ("main.waitBlocked", "strings/strings.go"),
            ("os.OpenFile", "os/file.go"),
            ("strings.genSplit", "strings/strings.go"),
        ]);
        assert_eq!(f.main_dir().as_deref(), Some("dumpscope/fixtures/basic"));
        assert!(files(&[("os.OpenFile", "os/file.go")]).main_dir().is_none());
    }
}
