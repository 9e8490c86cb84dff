//! Shareable reports and the timeline: redaction proven on real dumps (no planted secret, no
//! object address in any form), stable keyed pseudonyms, the key file, the growth flag.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{analyse, expect, fixture};
use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::Analysis;
use dumpscope::report::redact::ReportKey;
use dumpscope::report::share::{self, Options, Report};
use dumpscope::report::timeline::{Timeline, TimelineBuilder};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dumpscope-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the CLI; returns (stdout, stderr). `XDG_CONFIG_HOME` is always set so no test
/// touches the real `~/.config`.
fn cli(args: &[&str], config: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "dumpscope {args:?}: {stderr}");
    (stdout, stderr)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Hex forms (`0x…`) found in `text`, every prefix of every `0x` run included: a literal
/// substring test for a whole set of addresses at once.
fn hex_substrings(text: &str) -> HashSet<String> {
    let b = text.as_bytes();
    let mut out = HashSet::new();
    for i in 0..b.len().saturating_sub(2) {
        if b[i] == b'0' && b[i + 1] == b'x' {
            let mut end = i + 2;
            while end < b.len() && b[end].is_ascii_hexdigit() {
                end += 1;
                out.insert(text[i..end].to_ascii_lowercase());
            }
        }
    }
    out
}

/// Asserts the text holds no form of any object address of `a`, and that every `0x` left
/// is an offset (`+0x…`).
fn assert_no_addresses(what: &str, text: &str, a: &Analysis) {
    let found = hex_substrings(text);
    let objects = &a.heap.objects;
    for id in 0..objects.len() as u32 {
        for addr in [objects.addr[id as usize], objects.value_addr(id)] {
            let hex = format!("0x{addr:x}");
            assert!(!found.contains(&hex), "{what}: holds the address {hex}");
            // Decimal forms of a sample.
            if id % 37 == 0 {
                assert!(
                    !text.contains(&addr.to_string()),
                    "{what}: holds the address {addr} in decimal"
                );
            }
        }
    }
    let b = text.as_bytes();
    for i in 1..b.len().saturating_sub(1) {
        if b[i] == b'0' && b[i + 1] == b'x' {
            assert!(
                b[i - 1] == b'+',
                "{what}: a 0x… that is not an offset: {:?}",
                &text[i.saturating_sub(40)..(i + 24).min(text.len())]
            );
        }
    }
}

#[test]
fn redacted_reports_hold_no_secret_and_no_address() {
    let secret = expect("basic")["strings"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = scratch("redacted");
    let dump = fixture("basic-go1.27.dump");
    let key = dir.join("report.key");
    let html = dir.join("basic.html");
    let json = dir.join("basic.json");
    for (out, extra) in [(&html, None), (&json, Some("--json"))] {
        let mut args = vec![
            "report",
            path_str(&dump),
            "--key-file",
            path_str(&key),
            "-o",
            path_str(out),
        ];
        args.extend(extra);
        cli(&args, &dir);
    }
    let (a, bytes) = analyse("basic-go1.27.dump");
    // The secret is in the dump, once, in an object's contents.
    assert!(bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    for (what, path) in [("HTML", &html), ("JSON", &json)] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains(&secret), "{what} holds the secret");
        assert!(
            !text.contains("SECRET-TOKEN"),
            "{what} holds part of the secret"
        );
        assert_no_addresses(what, &text, &a);
        // Pseudonyms stand where addresses were.
        assert!(
            text.contains("o-") && text.contains("(a-"),
            "{what}: pseudonyms"
        );
        // Directories never appear: no allocation-site path with a slash.
        for f in &a.heap.bucket_frames {
            let file = a.heap.str(f.file);
            if file.contains('/') {
                assert!(!text.contains(file), "{what} holds the path {file}");
            }
        }
        // Files outside the main package are dropped, the main package's are kept.
        assert!(
            text.contains("main.newItem (main.go:"),
            "{what}: main.go sites"
        );
        for other in ["malloc.go:", "file_unix.go:", "strings.go:", "builder.go:"] {
            assert!(!text.contains(other), "{what} names the file {other}");
        }
        assert!(
            !text.contains("dumps/basic-go1.27.dump"),
            "{what}: a directory"
        );
    }
    let html_text = std::fs::read_to_string(&html).unwrap();
    assert!(html_text.contains("data-testid=\"redaction-banner\""));
    assert!(!html_text.contains("<script"));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(r.redacted && !r.redaction.is_empty());
    assert_eq!(r.dumps[0].name, "basic-go1.27.dump");
    assert_eq!(r.summary.objects, a.heap.objects.len() as u64);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_redact_includes_addresses_and_says_so() {
    let dir = scratch("unredacted");
    let dump = fixture("basic-go1.27.dump");
    let (json, stderr) = cli(&["report", path_str(&dump), "--json", "--no-redact"], &dir);
    assert!(stderr.contains("warning: --no-redact"), "{stderr}");
    // No key is made when none is needed.
    assert!(!dir.join("dumpscope/report.key").exists());
    let r: Report = serde_json::from_str(&json).unwrap();
    assert!(!r.redacted && r.redaction.is_empty());
    let (a, _) = analyse("basic-go1.27.dump");
    let found = hex_substrings(&json);
    let objects = &a.heap.objects;
    let present = (0..objects.len() as u32)
        .filter(|&id| found.contains(&format!("0x{:x}", objects.value_addr(id))))
        .count();
    assert!(
        present >= 10,
        "only {present} object addresses in the report"
    );
    assert!(r.classes[0].example.starts_with("0x"));
    assert!(json.contains(path_str(&dump)), "the dump's path");
    let (html, _) = cli(&["report", path_str(&dump), "--no-redact"], &dir);
    assert!(html.contains("data-testid=\"unredacted-banner\""));
    // Still no contents.
    assert!(!html.contains("SECRET-TOKEN") && !json.contains("SECRET-TOKEN"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_key_is_made_once_private_and_pseudonyms_follow_it() {
    let dir = scratch("key");
    let d2 = fixture("growth-go1.19-2.dump");
    let d3 = fixture("growth-go1.19-3.dump");
    let (first, stderr) = cli(&["report", path_str(&d2), "--json"], &dir);
    assert!(stderr.contains("created the report key"), "{stderr}");
    let key_path = dir.join("dumpscope/report.key");
    let key_text = std::fs::read_to_string(&key_path).unwrap();
    assert!(ReportKey::parse(&key_text).is_ok(), "{key_text:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
    }
    // The same key: the same report, and the key file is not replaced.
    let (again, stderr) = cli(&["report", path_str(&d2), "--json"], &dir);
    assert!(!stderr.contains("created"), "{stderr}");
    assert_eq!(first, again);
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key_text);

    // Across dumps: the records' backing array is at the same address in dumps 2 and 3, so
    // its pseudonym is the same in both reports.
    let (third, _) = cli(&["report", path_str(&d3), "--json"], &dir);
    let example = |json: &str| -> String {
        let r: Report = serde_json::from_str(json).unwrap();
        let c = r
            .classes
            .iter()
            .find(|c| c.class.starts_with("main.makeRecordSlice"))
            .expect("the backing array's class");
        c.example.clone()
    };
    let (p2, p3) = (example(&first), example(&third));
    assert!(p2.starts_with("o-") && p2.len() == 10, "{p2}");
    assert_eq!(p2, p3);
    let (a2, _) = analyse("growth-go1.19-2.dump");
    let (a3, _) = analyse("growth-go1.19-3.dump");
    let id2 = a2
        .heap
        .objects
        .find(0xc000080000)
        .expect("backing array (go1.19 fixture)");
    assert_eq!(
        a2.heap.objects.value_addr(id2),
        a3.heap
            .objects
            .value_addr(a3.heap.objects.find(0xc000080000).unwrap())
    );

    // Another key: other pseudonyms, the same numbers.
    let other = dir.join("other.key");
    std::fs::write(&other, format!("{}\n", "5a".repeat(32))).unwrap();
    let (keyed, _) = cli(
        &[
            "report",
            path_str(&d2),
            "--json",
            "--key-file",
            path_str(&other),
        ],
        &dir,
    );
    assert_ne!(example(&keyed), p2);
    let (x, y): (Report, Report) = (
        serde_json::from_str(&first).unwrap(),
        serde_json::from_str(&keyed).unwrap(),
    );
    // The same numbers; only the pseudonyms of the heap's bounds differ.
    let numbers = |mut s: dumpscope::report::Summary| {
        assert!(s.heap_start.starts_with("o-") || s.heap_start.starts_with("a-"));
        s.heap_start.clear();
        s.heap_end.clear();
        s
    };
    assert_eq!(numbers(x.summary), numbers(y.summary));
    assert_eq!(
        x.classes.iter().map(|c| c.retained).collect::<Vec<_>>(),
        y.classes.iter().map(|c| c.retained).collect::<Vec<_>>()
    );
    // A bad key file is an error, not a new key.
    std::fs::write(&other, "not a key").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["report", path_str(&d2), "--key-file", path_str(&other)])
        .env("XDG_CONFIG_HOME", &dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn growth_timeline(version: &str, order: [usize; 3]) -> Timeline {
    let mut b = TimelineBuilder::default();
    for i in order {
        let name = format!("growth-{version}-{i}.dump");
        let (a, _) = analyse(&name);
        let c = Classes::compute(&a);
        b.add(&name, &a, &c);
    }
    b.finish(1000)
}

#[test]
fn the_timeline_flags_the_class_that_grows() {
    let e = expect("growth");
    let per_dump: Vec<u64> = e["records_per_dump"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let bytes: Vec<u64> = e["record_bytes_per_dump"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    for version in common::VERSIONS {
        // Given out of order: put in order by LastGC.
        let t = growth_timeline(version, [3, 1, 2]);
        assert_eq!(t.ordered_by, "MemStats.LastGC");
        let names: Vec<&str> = t.dumps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            (1..=3)
                .map(|i| format!("growth-{version}-{i}.dump"))
                .collect::<Vec<_>>()
        );
        let times: Vec<u64> = t.dumps.iter().map(|d| d.last_gc_unix_ns.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        let flagged: Vec<&str> = t.flagged_classes().map(|s| s.name.as_str()).collect();
        assert_eq!(flagged.len(), 1, "{version}: flagged {flagged:?}");
        assert!(flagged[0].starts_with("main.newRecord ("), "{flagged:?}");
        let row = &t.classes[0];
        assert_eq!(row.counts, per_dump, "{version}");
        assert_eq!(row.bytes, bytes, "{version}");
        assert_eq!(row.growing_since, Some(0));
        // Every other class keeps its size or shrinks somewhere: not flagged.
        for c in &t.classes[1..] {
            assert!(!c.grows, "{version}: {} flagged", c.name);
        }
        // Allocation sites: the records' site grows the same way.
        let site = t
            .sites
            .iter()
            .find(|s| s.name.starts_with("main.newRecord ("))
            .expect("main.newRecord site");
        assert_eq!(site.counts, per_dump);
        assert!(site.grows && site.file.as_deref().is_some_and(|f| f.ends_with("main.go")));
        assert_eq!(t.sites.iter().filter(|s| s.grows).count(), 1);
        // Totals per dump grow by the records added.
        for w in t.dumps.windows(2) {
            assert!(w[1].objects - w[0].objects >= 500, "{version}");
        }
    }
}

#[test]
fn timeline_command_reads_a_directory() {
    let dir = scratch("timeline");
    let series = dir.join("series");
    std::fs::create_dir_all(&series).unwrap();
    for i in [2, 3, 1] {
        let name = format!("growth-go1.27-{i}.dump");
        std::fs::copy(fixture(&name), series.join(&name)).unwrap();
    }
    let (json, _) = cli(&["timeline", path_str(&series), "--json"], &dir);
    let t: Timeline = serde_json::from_str(&json).unwrap();
    assert_eq!(t.dumps.len(), 3);
    assert!(t.dumps[0].name.ends_with("growth-go1.27-1.dump"));
    let flagged: Vec<&str> = t.flagged_classes().map(|s| s.name.as_str()).collect();
    assert_eq!(flagged, vec!["main.newRecord (main.go:51)"]);
    let (text, _) = cli(&["timeline", path_str(&series)], &dir);
    assert!(text.contains("growing classes"), "{text}");
    assert!(text.contains("↑ main.newRecord (main.go:51)"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn load(name: &str) -> (Analysis, Classes) {
    let (a, _) = analyse(name);
    let c = Classes::compute(&a);
    (a, c)
}

#[test]
fn a_report_of_several_dumps_has_growth_and_a_timeline() {
    let dumps: Vec<(String, Analysis, Classes)> = [3, 1, 2]
        .iter()
        .map(|i| {
            let name = format!("growth-go1.27-{i}.dump");
            let (a, c) = load(&name);
            (name, a, c)
        })
        .collect();
    let inputs: Vec<(&str, &Analysis, &Classes)> =
        dumps.iter().map(|(n, a, c)| (n.as_str(), a, c)).collect();
    let key = ReportKey::from_bytes([7; 32]);
    let r = share::report(&inputs, &Options::new(Some(key)));
    assert_eq!(r.dumps.len(), 3);
    assert_eq!(r.focus, 2);
    assert_eq!(r.dumps[2].name, "growth-go1.27-3.dump");
    let g = r.growth.as_ref().expect("growth");
    assert_eq!(g.dumps, vec![0, 1, 2]);
    assert_eq!(g.classes[0].class, "main.newRecord (main.go:51)");
    assert_eq!(g.classes[0].counts, vec![500, 1000, 1500]);
    assert_eq!(g.candidate_objects, 500);
    let t = r.timeline.as_ref().expect("timeline");
    let flagged: Vec<&str> = t.flagged_classes().map(|s| s.name.as_str()).collect();
    assert_eq!(flagged, vec!["main.newRecord (main.go:51)"]);
    // After redaction every class name is unique in the timeline.
    let names: HashSet<&str> = t.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), t.classes.len());
    for (_, a, _) in &dumps {
        assert_no_addresses("JSON", &serde_json::to_string(&r).unwrap(), a);
    }
    let html = dumpscope::report::html::render(&r);
    assert!(html.contains("data-testid=\"timeline-chart\""));
    assert!(html.contains("grows since #1"));
    assert!(!html.contains("http:") && !html.contains("https:"));

    // More than three dumps (the CLI reads them twice): the timeline holds all of them, the
    // growth table the first, middle and newest.
    let dir = scratch("four");
    let f = |i: u32| fixture(&format!("growth-go1.19-{i}.dump"));
    let (json, _) = cli(
        &[
            "report",
            path_str(&f(2)),
            path_str(&f(1)),
            path_str(&f(3)),
            path_str(&f(2)),
            "--json",
        ],
        &dir,
    );
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.dumps.len(), 4);
    assert_eq!(r.timeline.as_ref().unwrap().dumps.len(), 4);
    let g = r.growth.unwrap();
    assert_eq!(g.dumps.len(), 3);
    assert_eq!(r.dumps[r.focus].name, "growth-go1.19-3.dump");
    assert_eq!(g.classes[0].counts.last(), Some(&1500));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn html_and_json_come_from_one_report() {
    let (a, c) = load("leaky-go1.27.dump");
    let r = share::report(
        &[("leaky-go1.27.dump", &a, &c)],
        &Options::new(Some(ReportKey::from_bytes([1; 32]))),
    );
    let html = dumpscope::report::html::render(&r);
    let esc = dumpscope::report::html::escape;
    assert!(!r.findings.is_empty());
    for f in &r.findings {
        assert!(html.contains(&esc(&f.title)), "finding {:?}", f.title);
        for l in &f.retainer_path {
            assert!(html.contains(&esc(l)), "path line {l:?}");
        }
    }
    assert_eq!(r.classes.len(), 100.min(r.total_classes as usize));
    for k in &r.classes {
        assert!(html.contains(&esc(&k.class)), "class {:?}", k.class);
    }
    assert!(r
        .goroutine_groups
        .iter()
        .any(|g| g.looks_leaked && g.count == 100));
    assert!(r.findings.iter().any(|f| f.kind == "duplicate_strings"));
    assert!(r.growth.is_none() && r.timeline.is_none());
    // The JSON reads back as the same report (floats aside: serde_json's parser may round
    // the last bit).
    let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    let strings = |r: &Report| -> Vec<String> {
        r.findings
            .iter()
            .flat_map(|f| std::iter::once(f.title.clone()).chain(f.retainer_path.clone()))
            .collect()
    };
    assert_eq!(strings(&back), strings(&r));
    assert_eq!(back.summary, r.summary);
    assert_no_addresses("HTML", &html, &a);
}
