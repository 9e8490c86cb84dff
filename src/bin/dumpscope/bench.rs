//! `dumpscope bench`: decode throughput against a plain read of the same file, every
//! build and analysis phase, and peak memory against the budget (80 B/object + 8 B/edge).

use std::fs::File;
use std::path::Path;

use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::Analysis;

use crate::print_json;

/// What `bench --json` prints.
#[derive(serde::Serialize)]
struct BenchReport {
    dump: String,
    bytes: u64,
    records: u64,
    objects: u64,
    pointer_edges: u64,
    classes: u64,
    plain_read_s: f64,
    decode_s: f64,
    /// Plain-read time over decode time: decode throughput as a share of a plain read.
    decode_vs_read: f64,
    decode_keep_s: f64,
    graph_s: f64,
    build_phases: Vec<(String, f64)>,
    analysis_phases: Vec<(String, f64)>,
    total_s: f64,
    peak_rss_bytes: u64,
    peak_above_start_bytes: u64,
    peak_after_decode_bytes: u64,
    peak_after_graph_bytes: u64,
    bytes_per_object: f64,
    budget_bytes: u64,
    reachable_objects: u64,
    reachable_bytes: u64,
    /// With `--exe`: what typing cost.
    typing: Option<Typing>,
}

/// What typing the heap from an executable cost (`bench --exe`).
#[derive(serde::Serialize)]
struct Typing {
    /// The walk alone, on its own thread.
    walk_s: f64,
    /// Objects typed (by the dump's evidence and by the walk).
    typed: u64,
    /// Dominators, retained sizes and classes, with the executable attached and the walk
    /// beside them, until all are done.
    with_s: f64,
    /// The same analyses without the executable.
    without_s: f64,
    /// What the typed run added to the untyped run's peak.
    added_peak_bytes: u64,
}

/// Peak resident set size of this process, from /proc (Linux).
pub(crate) fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak RSS counter so a phase's peak can be measured (Linux).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn bench(path: &Path, json: bool) -> Result<(), String> {
    use std::io::Read;
    use std::time::Instant;
    let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    let len = open()?.metadata().map_err(|e| e.to_string())?.len();
    let mb = len as f64 / 1e6;
    let mut buf = vec![0u8; 1 << 20];

    // Baseline: read the file in the same 1 MiB chunks, touching every byte. The first pass
    // warms the page cache so both sides of the comparison read from memory.
    let mut read_s = 0.0;
    for _ in 0..2 {
        let t = Instant::now();
        let mut f = open()?;
        let mut sum = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            sum = sum.wrapping_add(buf[..n].iter().map(|&b| u64::from(b)).sum::<u64>());
        }
        read_s = t.elapsed().as_secs_f64();
        std::hint::black_box(sum);
    }

    // Decode only: every record parsed, nothing kept.
    let t = Instant::now();
    let mut f = open()?;
    let mut d = dumpscope::format::Decoder::with_total_len(len);
    let mut records = 0u64;
    let mut sink = |_: &dumpscope::format::Record<'_>, _| records += 1;
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        d.feed(&buf[..n], &mut sink).map_err(|e| e.to_string())?;
    }
    d.finish(&mut sink).map_err(|e| e.to_string())?;
    let decode_s = t.elapsed().as_secs_f64();
    drop(buf);

    // Decode + heap build, then each analysis phase.
    reset_peak_rss();
    let base_rss = peak_rss().unwrap_or(0);
    let t = Instant::now();
    let mut loader = dumpscope::load::Loader::new(Some(len));
    // As `dumpscope` loads a dump: read ahead on a second thread.
    dumpscope::load::read_ahead(open()?, |chunk| {
        loader.feed(chunk);
        true
    })
    .map_err(|e| e.to_string())?;
    let load_decode_s = t.elapsed().as_secs_f64();
    let peak_decode = peak_rss().unwrap_or(0);
    let t = Instant::now();
    let mut build_phases: Vec<(String, Instant)> = Vec::new();
    let heap = loader
        .finish(&mut |p| build_phases.push((format!("{p:?}"), Instant::now())))
        .map_err(|e| e.to_string())?;
    let build_end = Instant::now();
    let graph_s = t.elapsed().as_secs_f64();
    let peak_graph = peak_rss().unwrap_or(0);
    let objects = heap.objects.len() as f64;
    let edges = heap.pointer_edges;
    let mut phases: Vec<(String, f64)> = Vec::new();
    let mut last = Instant::now();
    let mut cur: Option<dumpscope::analysis::AnalysisPhase> = None;
    // As `dumpscope` analyses a dump: objects are grouped into classes on a second thread
    // while the dominator tree is built; their retained sizes follow it.
    let (a, (grouping, group_s)) = Analysis::with_progress_beside(
        heap,
        &mut |p, _, _| {
            if cur != Some(p) {
                if let Some(c) = cur {
                    phases.push((format!("{c:?}"), last.elapsed().as_secs_f64()));
                }
                cur = Some(p);
                last = Instant::now();
            }
        },
        |h| {
            let t = Instant::now();
            (Classes::group(h), t.elapsed().as_secs_f64())
        },
    );
    if let Some(c) = cur {
        phases.push((format!("{c:?}"), last.elapsed().as_secs_f64()));
    }
    let t = Instant::now();
    let mut classes = grouping.finish(&a);
    phases.push((
        "Classes' retained sizes".to_string(),
        t.elapsed().as_secs_f64(),
    ));
    let analyses_s: f64 = phases.iter().map(|p| p.1).sum();
    phases.push(("Classes grouped, on its own thread".to_string(), group_s));
    // The peak of the analysis without the executable: the budget's measure.
    let peak = peak_rss().unwrap_or(0);
    // With `--exe`: the same analyses again, on the same heap, with the executable's names
    // attached and the heap typed from it beside the dominator tree (the contents read
    // again from the file), so the difference is what typing costs.
    let mut a = a;
    let mut typing = None;
    if let Some(exe) = crate::EXE.get() {
        let mut heap = a.into_heap();
        let t = Instant::now();
        heap.attach_executable(exe)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut chunks = crate::reread(path)?;
        let (mut typed_a, walked) = Analysis::with_progress_beside(heap, &mut |_, _, _| {}, |h| {
            let t = Instant::now();
            let typed = dumpscope::analysis::typing::walk(h, exe, &mut chunks);
            (typed, t.elapsed().as_secs_f64())
        });
        let (typed, walk_s) = walked;
        let st = typed
            .map(|t| t.apply(&mut typed_a.heap))
            .unwrap_or_default();
        classes = Classes::compute(&typed_a);
        let with_s = t.elapsed().as_secs_f64();
        phases.push(("Typing (--exe), on its own thread".to_string(), walk_s));
        phases.push(("Dominators, sizes, classes, typing".to_string(), with_s));
        typing = Some(Typing {
            added_peak_bytes: peak_rss().unwrap_or(0).saturating_sub(peak),
            walk_s,
            typed: st.seeds + st.typed,
            with_s,
            without_s: analyses_s,
        });
        a = typed_a;
    }
    let mut build: Vec<(String, f64)> = Vec::new();
    for (i, (name, start)) in build_phases.iter().enumerate() {
        let end = build_phases.get(i + 1).map_or(build_end, |p| p.1);
        build.push((name.clone(), (end - *start).as_secs_f64()));
    }
    let used = peak.saturating_sub(base_rss);
    let r = BenchReport {
        dump: path.display().to_string(),
        bytes: len,
        records,
        objects: objects as u64,
        pointer_edges: edges,
        classes: classes.classes.len() as u64,
        plain_read_s: read_s,
        decode_s,
        decode_vs_read: read_s / decode_s,
        decode_keep_s: load_decode_s,
        graph_s,
        build_phases: build,
        analysis_phases: phases.clone(),
        total_s: load_decode_s + graph_s + typing.as_ref().map_or(analyses_s, |t| t.with_s),
        peak_rss_bytes: peak,
        peak_above_start_bytes: used,
        peak_after_decode_bytes: peak_decode,
        peak_after_graph_bytes: peak_graph,
        bytes_per_object: used as f64 / objects,
        budget_bytes: 80 * objects as u64 + 8 * edges,
        reachable_objects: a.reachable_objects(),
        reachable_bytes: a.reachable_bytes(),
        typing,
    };
    if json {
        return print_json(&r);
    }
    println!(
        "dump            {} ({:.1} MB, {} records, {} objects, {} pointer edges, {} classes)",
        r.dump, mb, r.records, r.objects, r.pointer_edges, r.classes
    );
    println!("{:<34}{:>10}{:>14}", "phase", "seconds", "throughput");
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s",
        "plain read (baseline)",
        read_s,
        mb / read_s
    );
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s   {:.0} % of plain read",
        "decode only",
        decode_s,
        mb / decode_s,
        100.0 * r.decode_vs_read
    );
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s   {:.2} M objects/s",
        "decode + keep objects",
        load_decode_s,
        mb / load_decode_s,
        objects / load_decode_s / 1e6
    );
    println!("{:<34}{:>10.3}", "sort, phantoms, resolve, CSR", graph_s);
    for (name, s) in &r.build_phases {
        println!("  {:<32}{:>10.3}", name, s);
    }
    for (name, s) in &r.analysis_phases {
        println!("{:<34}{:>10.3}", name, s);
    }
    println!(
        "{:<34}{:>10.3}{:>11.2} M objects/s",
        "total analysis",
        r.total_s,
        objects / r.total_s / 1e6
    );
    println!(
        "peak RSS        {:.1} MB ({:.1} MB above the start); peak after decode {:.1} MB, after graph build {:.1} MB",
        peak as f64 / 1e6,
        used as f64 / 1e6,
        peak_decode as f64 / 1e6,
        peak_graph as f64 / 1e6
    );
    println!(
        "bytes/object    {:.1} (peak above start / objects); budget 80/object + 8/edge = {:.1} MB -> {}",
        r.bytes_per_object,
        r.budget_bytes as f64 / 1e6,
        if used <= r.budget_bytes { "within" } else { "OVER" }
    );
    println!(
        "reachable       {} objects, {} bytes",
        r.reachable_objects, r.reachable_bytes
    );
    if let Some(t) = &r.typing {
        let base = load_decode_s + graph_s;
        let (with, without) = (base + t.with_s, base + t.without_s);
        println!(
            "typing          {} typed objects; the walk took {:.3} s on its own thread ({:+.0} % of the analysis without it, {without:.3} s); the analysis with it took {with:.3} s: {:+.0} %; peak +{:.1} MB ({:.1} B/object)",
            t.typed,
            t.walk_s,
            100.0 * t.walk_s / without.max(1e-9),
            100.0 * (with - without) / without.max(1e-9),
            t.added_peak_bytes as f64 / 1e6,
            t.added_peak_bytes as f64 / objects
        );
    }
    Ok(())
}
