//! The rows as plain text for a terminal: what the CLI prints without `--json`. Beside
//! `html.rs`, which renders the shareable report. Every string from the dump goes through
//! [`esc`]; tests/golden/ pins the output of every command.

use std::fmt::Write;

use super::timeline::{self, Timeline};
use super::{
    ClassRow, GoroutineRow, GroupRow, Lost, ObjectRow, Retainers, Summary, Top, SHARE_NOTE,
};
use crate::analysis::diff::Diff;
use crate::analysis::leaks::Findings;
use crate::heap::TailLayout;

/// Text from the dump, made safe for a terminal: control characters become escapes.
pub fn esc(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `1.50 MiB (1572864 B)`: readable, and exact for scripts that grep.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{} ({n} B)", super::human_bytes(n))
    }
}

fn object_line(r: &ObjectRow) -> String {
    format!(
        "{:>14}  {:>12}  {:>12}  {}",
        r.address,
        r.shallow,
        r.retained,
        esc(&r.class)
    )
}

fn object_header(o: &mut String) {
    let _ = writeln!(
        o,
        "{:>14}  {:>12}  {:>12}  class",
        "address", "shallow", "retained"
    );
}

/// `dumpscope summary`; `name` is the dump's path as given.
pub fn summary(name: &str, s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{name}");
    let _ = writeln!(
        o,
        "  Go version        {} ({}, {}-bit{})",
        esc(&s.go_version),
        esc(&s.arch),
        s.pointer_size * 8,
        if s.big_endian { ", big-endian" } else { "" }
    );
    let _ = writeln!(
        o,
        "  objects           {} ({})",
        s.objects,
        bytes(s.object_bytes)
    );
    let _ = writeln!(
        o,
        "  reachable         {} objects, {}",
        s.reachable_objects,
        bytes(s.reachable_bytes)
    );
    let _ = writeln!(
        o,
        "  unreachable       {} objects, {}",
        s.unreachable_objects,
        bytes(s.unreachable_bytes)
    );
    if let Some(advice) = &s.unreachable_advice {
        let _ = writeln!(o, "                    {advice}");
    }
    let _ = writeln!(o, "  pointer edges     {}", s.pointer_edges);
    let _ = writeln!(
        o,
        "  GC roots          {} objects held by {} root pointers",
        s.gc_roots, s.root_pointers
    );
    let _ = writeln!(
        o,
        "  goroutines        {} ({} stack frames)",
        s.goroutines, s.stack_frames
    );
    let _ = writeln!(
        o,
        "  finalizers        {} registered, {} queued",
        s.finalizers, s.queued_finalizers
    );
    let _ = writeln!(
        o,
        "  memprof           {} buckets, {} alloc samples",
        s.memprof_buckets, s.alloc_samples
    );
    let _ = writeln!(o, "  types / itabs     {} / {}", s.type_records, s.itabs);
    if s.span_tails.layout != TailLayout::None {
        let _ = writeln!(
            o,
            "  span-tail records {} (Go 1.22+ metadata, not objects)",
            s.phantom_records
        );
        let _ = writeln!(o, "    layout          {}", s.span_tails.layout.describe());
        let _ = writeln!(o, "    evidence        {}", s.span_tails.basis);
    }
    if let Some(r) = &s.reconciliation {
        let _ = writeln!(o, "  MemStats");
        let _ = writeln!(
            o,
            "    HeapAlloc       {}  (objects add up to {}, difference {:+})",
            bytes(r.heap_alloc),
            bytes(r.object_bytes),
            r.bytes_difference
        );
        let _ = writeln!(
            o,
            "    HeapObjects     {}  (objects in dump {}, difference {:+})",
            r.heap_objects, r.objects, r.objects_difference
        );
        let _ = writeln!(o, "    HeapInuse       {}", bytes(r.heap_inuse));
        let _ = writeln!(o, "    StackInuse      {}", bytes(r.stack_inuse));
        let _ = writeln!(
            o,
            "    NumGC           {}  (total pause {} ns)",
            r.num_gc, r.pause_total_ns
        );
    }
    if let Some(x) = &s.executable {
        let _ = writeln!(o, "  executable        {x}");
    }
    if let Some(e) = &s.decode_error {
        let _ = writeln!(o, "  WARNING           {}", esc(e));
    }
    for d in &s.diagnostics {
        let _ = writeln!(o, "  note: {}", esc(d));
    }
    o
}

/// `dumpscope top`.
pub fn top(t: &Top) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "reachable: {}", bytes(t.reachable_bytes));
    object_header(&mut o);
    for r in &t.objects {
        let _ = writeln!(o, "{}", object_line(r));
    }
    o
}

/// `dumpscope lost`.
pub fn lost(l: &Lost) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "unreachable: {} objects, {} ({} structures)",
        l.objects,
        bytes(l.bytes),
        l.heads
    );
    if let Some(advice) = &l.advice {
        let _ = writeln!(o, "{advice}");
    }
    if l.objects > 0 {
        object_header(&mut o);
        for r in &l.largest {
            let _ = writeln!(o, "{}", object_line(r));
        }
    }
    o
}

/// `dumpscope retainers`.
pub fn retainers(r: &Retainers) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", object_line(&r.target));
    if !r.target.reachable {
        let _ = writeln!(o, "  unreachable: no path from any root");
    }
    for (i, p) in r.paths.iter().enumerate() {
        let _ = writeln!(o, "path {} ({} objects)", i + 1, p.objects.len());
        for root in &p.roots {
            let _ = writeln!(o, "  root: {}", esc(&root.label));
        }
        if let Some(f) = &p.fields {
            let _ = writeln!(o, "  fields: {}", esc(f));
        }
        for (depth, x) in p.objects.iter().enumerate() {
            let _ = writeln!(
                o,
                "  {}{}",
                "  ".repeat(depth.min(40)),
                object_line(x).trim_start()
            );
        }
    }
    o
}

/// `dumpscope goroutines`: groups by wait reason, stack and creator.
pub fn goroutine_groups(groups: &[GroupRow]) -> String {
    let mut o = String::new();
    for g in groups {
        let _ = writeln!(
            o,
            "{:>6} × [{}]{} {}{}",
            g.count,
            esc(&g.wait_reason),
            if g.looks_leaked { " LEAK?" } else { "" },
            esc(&g.top_function),
            g.created_by
                .as_ref()
                .map(|c| format!("  (created by {})", esc(c)))
                .unwrap_or_default()
        );
        if g.stack_retained_bytes > 0 {
            let _ = writeln!(
                o,
                "         stacks alone keep {} in {} objects",
                bytes(g.stack_retained_bytes),
                g.stack_retained_objects
            );
        }
        for f in &g.stack {
            let _ = writeln!(o, "         {}", esc(f));
        }
    }
    o
}

/// `dumpscope goroutines --all`: every goroutine and its frames.
pub fn goroutines(list: &[GoroutineRow]) -> String {
    let mut o = String::new();
    for g in list {
        let _ = writeln!(
            o,
            "goroutine {} [{}{}{}]",
            g.id,
            g.status,
            if g.wait_reason.is_empty() {
                String::new()
            } else {
                format!(", {}", esc(&g.wait_reason))
            },
            if g.system { ", system" } else { "" }
        );
        for f in &g.frames {
            let _ = writeln!(o, "  {}  {}", f.pc, esc(&f.func));
        }
    }
    o
}

/// `dumpscope classes`.
pub fn classes(rows: &[ClassRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:>9} {:>12} {:>12} {:>6}  class (named by)",
        "count", "shallow", "retained", "share"
    );
    for r in rows {
        let _ = writeln!(
            o,
            "{:>9} {:>12} {:>12} {:>5.1}%  {} ({:?})",
            r.count,
            r.shallow,
            r.retained,
            r.share * 100.0,
            esc(&r.class),
            r.source
        );
    }
    let _ = writeln!(o, "{SHARE_NOTE}");
    o
}

/// `dumpscope leaks`.
pub fn leaks(f: &Findings) -> String {
    let mut o = String::new();
    if f.findings.is_empty() {
        let _ = writeln!(o, "no leak suspects");
    }
    for (i, x) in f.findings.iter().enumerate() {
        let _ = writeln!(o, "{}. [{}] {}", i + 1, x.kind, esc(&x.title));
        // Waste findings measure bytes held but unusable, not what they retain.
        let verb = if crate::analysis::leaks::measures_waste(x.kind) {
            "wastes"
        } else {
            "retains"
        };
        let _ = writeln!(
            o,
            "   {verb} {} ({:.1}% of the heap), {} objects, {} goroutines",
            bytes(x.retained_bytes),
            x.share * 100.0,
            x.objects,
            x.goroutines
        );
        for (what, list) in [
            ("holds", &x.evidence.classes),
            ("allocated at", &x.evidence.alloc_sites),
        ] {
            for s in list {
                let _ = writeln!(
                    o,
                    "   {what} {} × {} ({} B)",
                    s.objects,
                    esc(&s.name),
                    s.bytes
                );
            }
        }
        for f in &x.evidence.stack {
            let _ = writeln!(o, "   stack: {}", esc(f));
        }
        if let Some(c) = &x.evidence.created_by {
            let _ = writeln!(o, "   created by {}", esc(c));
        }
        if let Some(fp) = &x.evidence.field_path {
            let _ = writeln!(o, "   fields: {}", esc(fp));
        }
        for (d, l) in x.evidence.retainer_path.iter().enumerate() {
            let _ = writeln!(
                o,
                "   {}{}",
                if d == 0 { "path: " } else { "      " },
                esc(l)
            );
        }
    }
    o
}

/// Per-dump `objects / bytes` cells of a growth row.
fn cells(counts: &[u64], bytes: &[u64]) -> String {
    counts
        .iter()
        .zip(bytes)
        .map(|(n, b)| format!("{n:>7} / {b:>10}"))
        .collect::<Vec<_>>()
        .join("  ")
}

/// `dumpscope diff` (its warnings go to stderr, not here).
pub fn diff(d: &Diff) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "growth by class (bytes in each dump)");
    for c in &d.classes {
        let _ = writeln!(o, "  {}  {}", cells(&c.counts, &c.bytes), esc(&c.class));
    }
    let l = &d.leak_candidates;
    let _ = writeln!(
        o,
        "leak candidates: {} objects, {} (new in B, not in A{})",
        l.objects,
        bytes(l.bytes),
        if d.dumps == 3 { ", still in C" } else { "" }
    );
    for c in &l.classes {
        let _ = writeln!(
            o,
            "  {:>7} × {} ({} B){}",
            c.objects,
            esc(&c.class),
            c.bytes,
            c.alloc_site
                .as_ref()
                .map(|s| format!(" allocated at {}", esc(s)))
                .unwrap_or_default()
        );
        for (i, line) in c.retainer_path.iter().enumerate() {
            let _ = writeln!(
                o,
                "      {}{}",
                if i == 0 { "path: " } else { "      " },
                esc(line)
            );
        }
    }
    o
}

/// `dumpscope timeline`.
pub fn timeline(t: &Timeline) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} dumps, ordered by {}", t.dumps.len(), t.ordered_by);
    let _ = writeln!(
        o,
        "  {:>3}  {:<27}  {:>10}  {:>22}  dump",
        "#", "last GC", "objects", "in use"
    );
    for (i, d) in t.dumps.iter().enumerate() {
        let _ = writeln!(
            o,
            "  {:>3}  {:<27}  {:>10}  {:>22}  {}",
            i + 1,
            d.time_utc.as_deref().unwrap_or("(no MemStats)"),
            d.objects,
            bytes(d.bytes),
            esc(&d.name)
        );
    }
    let flagged: Vec<_> = t.flagged_classes().collect();
    if flagged.is_empty() {
        let _ = writeln!(
            o,
            "no class grew in every dump (over at least {})",
            timeline::GROWTH_RUN
        );
    } else {
        let _ = writeln!(
            o,
            "growing classes (bytes rose in every dump over at least {}, up to the newest):",
            timeline::GROWTH_RUN
        );
        for s in &flagged {
            let _ = writeln!(
                o,
                "  {}  since #{}",
                esc(&s.name),
                s.growing_since.unwrap_or(0) + 1
            );
        }
    }
    for (title, rows, total) in [
        ("classes", &t.classes, t.total_classes),
        ("allocation sites", &t.sites, t.total_sites),
    ] {
        let _ = writeln!(
            o,
            "{title} (objects / bytes in each dump; {} of {total})",
            rows.len()
        );
        for s in rows {
            let _ = writeln!(
                o,
                "  {}  {} {}",
                cells(&s.counts, &s.bytes),
                if s.grows { "↑" } else { " " },
                esc(&s.name)
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(esc("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.50 KiB (1536 B)");
    }
}
