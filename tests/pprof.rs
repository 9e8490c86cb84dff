//! The pprof export (`dumpscope pprof`, `report::pprof`) read back by Go's own pprof: every
//! class's cumulative bytes are its retained bytes, its flat bytes and objects those of its
//! reachable objects, the totals those of the reachable heap; a million-deep list stays a
//! small profile. Go 1.19 comes from tests/fixtures/toolchain.sh.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{analyse, fixture};
use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::flame::{self, MAX_DEPTH};
use dumpscope::analysis::Analysis;
use dumpscope::report::pprof;

/// A row of `pprof -top`: flat and cumulative values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    flat: u64,
    cum: u64,
}

/// The rows of `go tool pprof -top` by frame name, and the total, for one sample type.
fn pprof_top(profile: &Path, sample_index: &str) -> (HashMap<String, Row>, u64) {
    let out = Command::new(common::go())
        .args(["tool", "pprof", "-top", "-unit=B", "-nodecount=1000000"])
        .args(["-nodefraction=0", "-edgefraction=0"])
        .arg(format!("-sample_index={sample_index}"))
        .arg(profile)
        .output()
        .expect("go tool pprof");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "go tool pprof: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = |s: &str| -> u64 {
        s.trim_end_matches('B')
            .parse()
            .unwrap_or_else(|_| panic!("a value: {s:?}"))
    };
    let mut rows = HashMap::new();
    let mut total = None;
    let mut in_table = false;
    for line in text.lines() {
        if let Some(rest) = line.split(" of ").nth(1) {
            if line.starts_with("Showing nodes accounting for") {
                total = Some(value(
                    rest.split_whitespace()
                        .next()
                        .unwrap()
                        .trim_end_matches(','),
                ));
            }
        }
        if line.trim_start().starts_with("flat") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        // flat flat% sum% cum cum% name (names hold spaces).
        let mut parts = line.split_whitespace();
        let flat = value(parts.next().unwrap());
        let cum = value(parts.nth(2).unwrap());
        let name = parts.skip(1).collect::<Vec<_>>().join(" ");
        assert!(
            rows.insert(name.clone(), Row { flat, cum }).is_none(),
            "{name} twice"
        );
    }
    (rows, total.expect("a total line"))
}

/// Writes the profile of `a` as the CLI does and reads it back with pprof.
fn check(a: &Analysis, file: &Path, out: &Path) -> HashMap<String, Row> {
    let classes = Classes::compute(a);
    let name = file.file_name().unwrap().to_str().unwrap();
    let profile = pprof::retained_profile(a, &classes, &pprof::comment(name));
    std::fs::write(out, &profile).unwrap();

    let (space, total_bytes) = pprof_top(out, "inuse_space");
    let (objects, total_objects) = pprof_top(out, "inuse_objects");
    assert_eq!(total_bytes, a.reachable_bytes(), "{name}: total bytes");
    assert_eq!(
        total_objects,
        a.reachable_objects(),
        "{name}: total objects"
    );

    // Per class: flat = its reachable objects, cum = its retained bytes.
    let n = a.heap.objects.len();
    let mut flat_bytes = vec![0u64; classes.classes.len()];
    let mut flat_count = vec![0u64; classes.classes.len()];
    for id in 0..n {
        if a.is_reachable(id as u32) {
            let c = classes.of[id] as usize;
            flat_bytes[c] += a.heap.objects.size.get(id);
            flat_count[c] += 1;
        }
    }
    let mut checked = 0;
    let frames = flame::class_frames(&classes);
    for (c, class) in classes.classes.iter().enumerate() {
        let frame = &frames[c];
        let Some(row) = space.get(frame) else {
            assert_eq!(flat_count[c], 0, "{name}: class {} is missing", class.name);
            continue;
        };
        assert_eq!(
            row.flat, flat_bytes[c],
            "{name}: flat bytes of {}",
            class.name
        );
        assert_eq!(
            row.cum, class.retained,
            "{name}: cum bytes of {}",
            class.name
        );
        assert_eq!(
            objects[frame].flat, flat_count[c],
            "{name}: objects of {}",
            class.name
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "{name}: only {checked} classes in the profile"
    );
    // Every sample stands on exactly one root frame.
    let root_cum: u64 = space
        .iter()
        .filter(|(k, _)| {
            k.starts_with("global ")
                || k.starts_with("stack of ")
                || k.ends_with("finalizer")
                || k.as_str() == "(held by several roots)"
        })
        .map(|(_, r)| r.cum)
        .sum();
    assert_eq!(root_cum, a.reachable_bytes(), "{name}: root frames");
    space
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("dumpscope-pprof-{}-{name}", std::process::id()))
}

#[test]
fn pprof_reads_retained_sizes_of_every_class() {
    for name in [
        "leaky-go1.27.dump",
        "leaky-go1.19.dump",
        "basic-go1.22.dump",
        "basic-go1.19.dump",
    ] {
        let (a, _) = analyse(name);
        let out = scratch(name);
        let rows = check(&a, &fixture(name), &out);
        assert!(!rows.contains_key("(deeper)"), "{name}: truncated stacks");
        std::fs::remove_file(&out).unwrap();
    }
}

/// The leaky fixture's planted cache reads in pprof as in `dumpscope classes`.
#[test]
fn leaky_cache_in_pprof() {
    let name = "leaky-go1.27.dump";
    let (a, _) = analyse(name);
    let out = scratch("leaky-cache");
    let rows = check(&a, &fixture(name), &out);
    std::fs::remove_file(&out).unwrap();
    assert_eq!(rows["main.newSession (main.go:68)"].cum, 384_000);
    assert_eq!(rows["main.newSession (main.go:66)"].flat, 256_000);
    assert_eq!(
        rows["global bss+0x0"].flat, 0,
        "a root frame holds no bytes"
    );
}

/// A million-node list is one frame (same class under same class), so the profile is tiny.
#[test]
fn million_deep_list_is_one_frame() {
    let bytes = common::extreme("deeplist");
    let heap = dumpscope::load::load_bytes(&bytes).unwrap();
    let a = Analysis::new(heap);
    let classes = Classes::compute(&a);
    let profile = pprof::retained_profile(&a, &classes, "deeplist");
    assert!(
        profile.len() < 64 * 1024,
        "{} B for a million-deep list",
        profile.len()
    );
    let out = scratch("deeplist");
    let path = PathBuf::from("deeplist-go1.27.dump");
    let rows = check(&a, &path, &out);
    std::fs::remove_file(&out).unwrap();
    assert!(!rows.contains_key("(deeper)"));
    let expect = common::expect("deeplist");
    let n = expect["nodes"]["count"].as_u64().unwrap();
    let size = expect["nodes"]["size"].as_u64().unwrap();
    // The global holding the head retains the list; one frame (the list's class) holds
    // all its nodes (and any other object of that class).
    let global = rows
        .iter()
        .filter(|(k, _)| k.starts_with("global "))
        .map(|(_, r)| r.cum)
        .max();
    assert_eq!(global, Some(n * size));
    assert!(
        rows.values().any(|r| r.flat >= n * size),
        "no frame holds the {n} list nodes"
    );
}

/// A chain of 200 objects alternating between two classes is cut at `MAX_DEPTH` frames,
/// a `(deeper)` frame holding the rest, and the totals stay exact.
#[test]
fn alternating_chain_stops_at_max_depth() {
    use dumpscope::format::writer::DumpWriter;
    let (start, len) = (0xc0_0000_0000u64, 200u64);
    // Objects of 2 and 3 words (two shape classes), each pointing at the next.
    let words = |i: u64| 2 + i % 2;
    let mut addrs = Vec::new();
    let mut next = start;
    for i in 0..len {
        addrs.push(next);
        next += words(i) * 8;
    }
    let mut w = DumpWriter::new(8, start, next);
    for i in 0..len {
        let mut contents = vec![0u64; words(i) as usize];
        let mut ptrs = vec![];
        if i + 1 < len {
            contents[0] = addrs[i as usize + 1];
            ptrs.push(0);
        }
        w.object(addrs[i as usize], &contents, &ptrs);
    }
    w.bss(0x58_0000, &[start], &[0]).eof();
    let heap = dumpscope::load::load_bytes(&w.finish()).unwrap();
    let a = Analysis::new(heap);
    assert_eq!(a.reachable_objects(), len);
    let out = scratch("chain");
    let classes = Classes::compute(&a);
    std::fs::write(&out, pprof::retained_profile(&a, &classes, "chain")).unwrap();
    let rows = pprof_top(&out, "inuse_objects").0;
    std::fs::remove_file(&out).unwrap();
    // Root frame + MAX_DEPTH - 2 class frames, then "(deeper)" takes the rest.
    let above = u64::from(MAX_DEPTH) - 2;
    assert_eq!(rows["(deeper)"].flat, len - above, "{rows:?}");
    assert_eq!(rows["(deeper)"].cum, len - above);
    assert_eq!(rows["global bss+0x0"].cum, len);
}
