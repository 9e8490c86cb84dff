//! Leak analysis on fixtures with planted problems: the planted problem comes first, with
//! exact counts, the allocating function named and a path from a labelled root.

mod common;

use common::*;
use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::{diff, goroutines, leaks};

#[test]
fn leaky_cache_is_the_first_finding_and_goroutines_are_flagged() {
    for v in VERSIONS {
        let (a, _) = analyse(&format!("leaky-{v}.dump"));
        let (classes, groups, f) = leaks::analyse(&a);
        let first = &f.findings[0];
        assert_eq!(first.kind, "accumulation", "{v}");
        assert!(first.share >= 0.10);
        let sessions = first
            .evidence
            .classes
            .iter()
            .find(|s| s.name.starts_with("main.newSession"))
            .expect("sessions");
        assert_eq!(sessions.objects, 1000, "{v}");
        assert!(first
            .evidence
            .alloc_sites
            .iter()
            .any(|s| s.name.starts_with("main.newSession") && s.objects == 1000));
        assert!(
            first.evidence.retainer_path[0].contains("global"),
            "{v}: {:?}",
            first.evidence.retainer_path
        );

        let leak = f
            .findings
            .iter()
            .find(|x| x.kind == "goroutine_leak")
            .expect("goroutine leak");
        assert_eq!(leak.goroutines, 100, "{v}");
        assert_eq!(leak.evidence.function.as_deref(), Some("main.leakyWorker"));
        assert_eq!(leak.evidence.wait_reason.as_deref(), Some("chan receive"));
        let g = groups.iter().find(|g| g.looks_leaked).unwrap();
        assert_eq!(g.goroutine_ids.len(), 100);
        assert_eq!(g.created_by.as_deref(), Some("main.handleRequest"), "{v}");
        // Only the leaked group is flagged.
        assert_eq!(groups.iter().filter(|g| g.looks_leaked).count(), 1);
        assert!(classes
            .classes
            .iter()
            .any(|c| c.name.starts_with("main.newSession") && c.count == 1000));
    }
}

#[test]
fn garbage_dump_reports_unreachable_first() {
    for v in VERSIONS {
        let (a, _) = analyse(&format!("garbage-{v}.dump"));
        let (_, _, f) = leaks::analyse(&a);
        let first = &f.findings[0];
        assert_eq!(first.kind, "unreachable_garbage", "{v}");
        assert!(first.objects >= 2500 && first.retained_bytes >= 120_000);
        assert!(
            first.evidence.classes[0].name.starts_with("main.makeJunk"),
            "{v}: {:?}",
            first.evidence.classes
        );
        assert_eq!(first.evidence.classes[0].objects, 2500);
    }
}

#[test]
fn basic_workers_group_with_creator() {
    for v in VERSIONS {
        let (a, _) = analyse(&format!("basic-{v}.dump"));
        let groups = goroutines::groups(&a);
        let w = groups
            .iter()
            .find(|g| g.top_function == "main.blockedWorker")
            .expect("workers");
        assert_eq!(w.goroutine_ids.len(), 8, "{v}");
        assert_eq!(w.wait_reason, "chan receive");
        assert_eq!(w.created_by.as_deref(), Some("main.startWorkers"), "{v}");
        // Each worker's stack holds its 32-byte payload.
        assert!(w.stack_retained >= 8 * 32, "{v}: {}", w.stack_retained);
        assert!(!w.looks_leaked, "8 < the leak threshold");
    }
}

#[test]
fn growth_diff_finds_exactly_the_new_records() {
    let e = expect("growth");
    let per_round = e["growth_per_round"]["objects"].as_u64().unwrap();
    for v in VERSIONS {
        let a: Vec<_> = (1..=3)
            .map(|i| analyse(&format!("growth-{v}-{i}.dump")).0)
            .collect();
        let c: Vec<Classes> = a.iter().map(Classes::compute).collect();
        let pairs: Vec<_> = a.iter().zip(&c).collect();
        let d = diff::diff(&pairs);
        let rec = d
            .classes
            .iter()
            .find(|r| r.class.starts_with("main.newRecord"))
            .unwrap();
        assert_eq!(rec.counts, vec![500, 1000, 1500], "{v}");
        assert_eq!(rec.bytes, vec![32000, 64000, 96000]);
        assert_eq!(d.classes[0].class, rec.class, "largest growth first");
        let l = &d.leak_candidates;
        let recs = l
            .classes
            .iter()
            .find(|c| c.class.starts_with("main.newRecord"))
            .unwrap();
        assert_eq!(recs.objects, per_round, "{v}");
        assert!(recs
            .alloc_site
            .as_deref()
            .unwrap()
            .starts_with("main.newRecord"));
        assert!(recs.retainer_path[0].contains("global"));
        // Two dumps: everything new in B.
        let d2 = diff::diff(&pairs[..2]);
        assert!(d2.leak_candidates.objects >= per_round);
    }
}

#[test]
fn duplicate_strings_are_counted_exactly() {
    let e = expect("leaky");
    let d = &e["duplicate_strings"];
    for v in VERSIONS {
        let (a, _) = analyse(&format!("leaky-{v}.dump"));
        let (_, _, f) = leaks::analyse(&a);
        let dup = f
            .findings
            .iter()
            .find(|x| x.kind == "duplicate_strings")
            .expect("finding");
        let ua = dup
            .evidence
            .alloc_sites
            .iter()
            .find(|s| s.name.starts_with(d["alloc_fn"].as_str().unwrap()))
            .expect("the user agents' site");
        assert_eq!(ua.objects, d["count"].as_u64().unwrap(), "{v}");
        assert_eq!(ua.bytes, d["wasted_bytes"].as_u64().unwrap(), "{v}");
        // Without the executable the 1000 session buffers ("SESSBUF!" then zeros, []byte)
        // look like strings: they are counted with them, and the title says it cannot
        // tell the two apart (tests/verdicts.rs: with the executable they are separate).
        assert_eq!(dup.retained_bytes, 999 * 64 + 999 * 256, "{v}");
        assert_eq!(dup.objects, 2 * 999);
        assert!(
            dup.title.contains("strings or []byte buffers"),
            "{v}: {}",
            dup.title
        );
        assert!(f.findings.iter().all(|x| x.kind != "duplicate_bytes"));
    }
}
