//! Verdicts only a typed heap gives (src/analysis/waste.rs, goroutine_leaks.rs, the typed
//! duplicates of leaks.rs), on the `verdicts` fixture built with Go 1.19, 1.22 and 1.27:
//! each planted problem is found with the exact bytes the program planted, and its healthy
//! twin raises nothing. See tests/fixtures/gen/verdicts/main.go.

mod common;

use common::*;
use dumpscope::analysis::leaks::{self, Finding, Findings};
use dumpscope::analysis::Analysis;
use dumpscope::exe::Executable;

const VERDICT_VERSIONS: [&str; 3] = ["go1.19", "go1.22", "go1.27"];

/// The dump analysed with its executable, and the findings completed from its contents.
fn findings(dump: &str, exe: &str) -> (Analysis, Findings) {
    let exe = Executable::parse(&read_exe(exe)).unwrap();
    let (a, file) = analyse(dump);
    let mut heap = a.heap;
    heap.attach_executable(&exe).unwrap();
    let mut read = |off: u64, len: usize| {
        let s = off as usize;
        file.get(s..s + len).map(<[u8]>::to_vec)
    };
    dumpscope::analysis::typing::type_heap(&mut heap, &exe, &mut read);
    let a = Analysis::new(heap);
    let (classes, groups, mut f) = leaks::analyse(&a);
    leaks::with_contents(&mut f, &a, &classes, &groups, Some(&exe), &mut read);
    (a, f)
}

fn of_kind<'f>(f: &'f Findings, kind: &str) -> Vec<&'f Finding> {
    f.findings.iter().filter(|x| x.kind == kind).collect()
}

fn one<'f>(f: &'f Findings, kind: &str, v: &str) -> &'f Finding {
    let all = of_kind(f, kind);
    assert_eq!(all.len(), 1, "{v}: {kind}: {all:#?}");
    all[0]
}

#[test]
fn planted_waste_is_found_with_the_exact_bytes() {
    let e = expect("verdicts");
    for v in VERDICT_VERSIONS {
        let (_, f) = findings(&format!("verdicts-{v}.dump"), &format!("verdicts-{v}.exe"));
        let titles: Vec<&str> = f.findings.iter().map(|x| x.title.as_str()).collect();

        let p = one(&f, "pinned_buffer", v);
        let x = &e["pinned_buffer"];
        assert_eq!(p.retained_bytes, x["wasted_bytes"].as_u64().unwrap(), "{v}");
        assert_eq!(p.objects, 1, "{v}");
        assert!(
            p.title.starts_with("main.token: 12 B in use"),
            "{v}: {}",
            p.title
        );
        assert!(p.title.contains("strings.Clone"), "{v}: {}", p.title);
        assert_eq!(p.evidence.field_path.as_deref(), Some("main.token"), "{v}");

        let s = one(&f, "slice_capacity", v);
        let x = &e["slice_capacity"];
        assert_eq!(s.retained_bytes, x["wasted_bytes"].as_u64().unwrap(), "{v}");
        assert_eq!(s.retained_bytes, (40000 - 10) * 8);
        assert!(
            s.title.starts_with(x["holder"].as_str().unwrap()),
            "{v}: {}",
            s.title
        );

        let m = one(&f, "map_capacity", v);
        let x = &e["map_capacity"];
        assert_eq!(
            m.retained_bytes,
            x["wasted_bytes"][v].as_u64().unwrap(),
            "{v}"
        );
        assert!(
            m.title
                .starts_with("main.sessions .byID: 1 map holds 0 entries in 16384 slots"),
            "{v}: {}",
            m.title
        );

        let c = one(&f, "chan_buffer", v);
        assert_eq!(c.retained_bytes, 1024 * 64, "{v}");
        assert!(c.title.starts_with("main.queues .idle"), "{v}: {}", c.title);

        // The healthy twins raise nothing: one finding per kind above, none about them.
        for twin in ["main.whole", ".full", ".live", ".busy"] {
            assert!(
                !f.findings
                    .iter()
                    .filter(|x| x.kind != "accumulation")
                    .any(|x| x.title.contains(twin)),
                "{v}: {twin} flagged: {titles:#?}"
            );
        }
    }
}

#[test]
fn duplicates_are_told_apart_by_type() {
    let e = expect("verdicts");
    for v in VERDICT_VERSIONS {
        let (_, f) = findings(&format!("verdicts-{v}.dump"), &format!("verdicts-{v}.exe"));
        let b = one(&f, "duplicate_bytes", v);
        assert_eq!(
            b.retained_bytes,
            e["duplicate_bytes"]["wasted_bytes"].as_u64().unwrap(),
            "{v}"
        );
        assert_eq!(b.objects, 199);
        assert!(b.title.contains("[]byte buffers"), "{v}: {}", b.title);
        let s = one(&f, "duplicate_strings", v);
        assert_eq!(
            s.retained_bytes,
            e["duplicate_strings"]["wasted_bytes"].as_u64().unwrap(),
            "{v}: no byte buffer is counted as a string"
        );
        assert_eq!(s.objects, 399);
    }
}

#[test]
fn leaked_goroutines_are_proved_and_the_pool_is_not_flagged() {
    let e = &expect("verdicts")["leaked_goroutines"];
    for v in VERDICT_VERSIONS {
        let (_, f) = findings(&format!("verdicts-{v}.dump"), &format!("verdicts-{v}.exe"));
        let g = one(&f, "goroutine_leak", v);
        assert_eq!(g.goroutines, e["count"].as_u64().unwrap(), "{v}");
        assert_eq!(g.evidence.function.as_deref(), e["function"].as_str());
        assert_eq!(g.evidence.wait_reason.as_deref(), e["wait_reason"].as_str());
        assert_eq!(g.evidence.created_by.as_deref(), e["created_by"].as_str());
        assert!(g.title.contains("leaked (proved)"), "{v}: {}", g.title);
        assert!(
            g.title.contains(e["channel"].as_str().unwrap()),
            "{v}: {}",
            g.title
        );
        // The 64 workers ranging over the global `jobs` channel are a healthy pool.
        assert!(!g.title.contains("main.worker"));
    }
}

/// Without the executable nothing is decided: the old guesses stay, worded as guesses.
#[test]
fn without_the_executable_goroutines_are_only_suspects() {
    for v in VERDICT_VERSIONS {
        let (a, _) = analyse(&format!("verdicts-{v}.dump"));
        let (_, _, f) = leaks::analyse(&a);
        let g = of_kind(&f, "goroutine_leak");
        assert_eq!(g.len(), 2, "{v}");
        assert!(g.iter().all(|x| x.title.contains("not proved")), "{v}");
        for kind in [
            "pinned_buffer",
            "slice_capacity",
            "map_capacity",
            "duplicate_bytes",
        ] {
            assert!(of_kind(&f, kind).is_empty(), "{v}: {kind}");
        }
        // Strings and byte buffers look alike: one finding, saying so.
        let d = one(&f, "duplicate_strings", v);
        assert_eq!(d.retained_bytes, 50944 + 38304, "{v}");
        assert!(d.title.contains("strings or []byte buffers"), "{v}");
    }
}

/// The service fixture's worker pool ranges over a global channel: no leak, with the
/// executable's proof, on every version.
#[test]
fn service_worker_pool_is_not_a_leak() {
    for v in ["go1.19", "go1.22", "go1.27", "go1.27-pie"] {
        let (_, f) = findings(&format!("service-{v}.dump"), &format!("service-{v}.exe"));
        assert!(of_kind(&f, "goroutine_leak").is_empty(), "{v}");
    }
}

/// Go 1.26+ proves leaks itself (runtime/pprof's `goroutineleak` profile, by reachability
/// in a special GC). The `goleak` program writes a dump and then that profile for the same
/// goroutines: the goroutines dumpscope proves leaked from the dump are the runtime's, by
/// function and count, and the ones blocked on a channel a global holds are in neither.
#[test]
fn proved_leaks_equal_the_runtimes_goroutineleak_profile() {
    let profile = String::from_utf8(read("goleak-go1.27.goroutineleak.txt")).unwrap();
    // "goroutineleak profile: total N", then per stack "K @ pcs" and "#\t0x…\tfunc+0x…\tfile".
    let total: u64 = profile
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("goroutineleak profile: total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the profile's header");
    let mut runtime: Vec<(String, u64)> = Vec::new();
    let mut count = 0u64;
    for l in profile.lines() {
        if let Some((k, _)) = l.split_once(" @ ") {
            count = k.trim().parse().unwrap();
        } else if let Some(rest) = l.strip_prefix("#\t") {
            let func = rest.split('\t').nth(1).unwrap_or("");
            let func = func.split("+0x").next().unwrap_or("").to_string();
            if count > 0 && !func.starts_with("runtime.") {
                runtime.push((func, count));
                count = 0;
            }
        }
    }
    runtime.sort();
    assert_eq!(runtime.iter().map(|r| r.1).sum::<u64>(), total);

    let (_, f) = findings("goleak-go1.27.dump", "goleak-go1.27.exe");
    let mut ours: Vec<(String, u64)> = of_kind(&f, "goroutine_leak")
        .into_iter()
        .filter(|g| g.title.contains("leaked (proved)"))
        .map(|g| {
            (
                g.evidence.function.clone().unwrap_or_default(),
                g.goroutines,
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, runtime);
    assert_eq!(
        runtime,
        [
            ("main.orphan".to_string(), 12),
            ("main.selector".to_string(), 4)
        ]
    );
    // The 6 receivers on the global channel are leaks to neither.
    assert!(!of_kind(&f, "goroutine_leak")
        .iter()
        .any(|g| g.evidence.function.as_deref() == Some("main.waiter")));
}
