//! A [`Report`] as one self-contained HTML file: inline CSS and SVG, no script, no request
//! (a Content-Security-Policy forbids any), so it opens from disk anywhere. Every string
//! from the dump is escaped.

use std::fmt::Write;

use super::human_bytes as bytes;
use super::share::{Growth, Report};
use super::timeline::{Series, Timeline};

/// Text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

use crate::units::count;

fn signed_bytes(d: i128) -> String {
    let sign = if d < 0 { "−" } else { "+" };
    format!("{sign}{}", bytes(d.unsigned_abs() as u64))
}

fn pct(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d232b; --muted: #5b6573; --bg: #ffffff; --panel: #f5f7fa;
  --line: #d9dee5; --accent: #2457c5; --warn-bg: #fff3cd; --warn: #7a5200; --ok-bg: #e7f4ea; --ok: #1d5e2c;
  --bad: #b3261e; --s0: #2457c5; --s1: #c2410c; --s2: #15803d; --s3: #7e22ce; --s4: #be185d; --s5: #0e7490; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e7ed; --muted: #9aa4b2; --bg: #14171c; --panel: #1c2027;
  --line: #2e343d; --accent: #7aa2f7; --warn-bg: #3d3010; --warn: #f5d27a; --ok-bg: #15301d; --ok: #9bd9a9;
  --bad: #f2897f; --s0: #7aa2f7; --s1: #fb923c; --s2: #4ade80; --s3: #c084fc; --s4: #f472b6; --s5: #22d3ee; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 10px; } h3 { font-size: 15px; margin: 14px 0 6px; }
.muted { color: var(--muted); } .mono, code, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin: 16px 0; }
nav a { margin-right: 14px; color: var(--accent); } a { color: var(--accent); }
.banner { border-radius: 8px; padding: 12px 16px; margin: 14px 0; }
.banner.ok { background: var(--ok-bg); color: var(--ok); } .banner.warn { background: var(--warn-bg); color: var(--warn); font-weight: 600; }
.banner ul { margin: 6px 0 0; padding-left: 20px; font-weight: normal; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin-bottom: 12px; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .v { font-size: 18px; font-weight: 600; } .card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; background: var(--bg); }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cls { word-break: break-all; }
tr.flag td { background: var(--warn-bg); } .tag { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 11px; font-weight: 600;
  background: var(--warn-bg); color: var(--warn); margin-left: 6px; }
.tag.bad { color: var(--bad); }
.finding { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 10px 0; }
.finding h3 { margin: 0 0 4px; word-break: break-word; } ol.path { margin: 6px 0; padding-left: 22px; }
ol.path li, ul.plain li { word-break: break-all; } ul.plain { margin: 4px 0; padding-left: 20px; }
svg[data-testid="timeline-chart"] { display: block; max-width: 860px; }
details summary { cursor: pointer; color: var(--accent); } svg text { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: var(--line); } svg polyline { fill: none; stroke-width: 2; }
.s0 { stroke: var(--s0); color: var(--s0); } .s1 { stroke: var(--s1); color: var(--s1); } .s2 { stroke: var(--s2); color: var(--s2); }
.s3 { stroke: var(--s3); color: var(--s3); } .s4 { stroke: var(--s4); color: var(--s4); } .s5 { stroke: var(--s5); color: var(--s5); }
svg circle { fill: currentColor; stroke: none; }
.legend { list-style: none; padding: 0; margin: 6px 0; } .legend li { margin: 2px 0; word-break: break-all; }
.legend .sw { display: inline-block; width: 14px; height: 3px; background: currentColor; vertical-align: middle; margin-right: 6px; }
footer { color: var(--muted); font-size: 12px; margin: 20px 0; }
"#;

/// The report as a standalone HTML page.
pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(64 << 10);
    let focus = r.dumps.get(r.focus);
    let title = match (r.dumps.len(), focus) {
        (0, _) | (_, None) => "dumpscope report".to_string(),
        (1, Some(d)) => format!("dumpscope report: {}", d.name),
        (n, Some(d)) => format!("dumpscope report: {} dumps, newest {}", n, d.name),
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<link rel=\"icon\" href=\"data:,\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&r.generator),
        escape(&title)
    );
    let _ = write!(o, "<header>\n<h1>{}</h1>\n", escape(&title));
    if let Some(d) = focus {
        let _ = writeln!(
            o,
            "<p class=\"muted\" data-testid=\"report-dump\">{} · {} · {}-bit{}</p>",
            escape(&d.name),
            escape(&r.summary.go_version),
            r.summary.pointer_size as u32 * 8,
            d.time_utc
                .as_ref()
                .map(|t| format!(" · last GC {}", escape(t)))
                .unwrap_or_default()
        );
    }
    o.push_str("</header>\n");
    if r.redacted {
        o.push_str("<div class=\"banner ok\" data-testid=\"redaction-banner\"><strong>Redacted for sharing.</strong><ul>");
        for rule in &r.redaction {
            let _ = write!(o, "<li>{}</li>", escape(rule));
        }
        o.push_str("</ul></div>\n");
    } else {
        o.push_str(
            "<div class=\"banner warn\" data-testid=\"unredacted-banner\">Not redacted: this report holds real \
             addresses and file paths from the dump. Share it only with people who may see them.</div>\n",
        );
    }
    o.push_str("<nav><a href=\"#summary\">Summary</a><a href=\"#leaks\">Leak suspects</a><a href=\"#classes\">Classes</a><a href=\"#goroutines\">Goroutines</a>");
    if r.growth.is_some() {
        o.push_str("<a href=\"#growth\">Growth</a>");
    }
    if r.timeline.is_some() {
        o.push_str("<a href=\"#timeline\">Timeline</a>");
    }
    o.push_str("</nav>\n");

    summary(&mut o, r);
    findings(&mut o, r);
    classes(&mut o, r);
    goroutines(&mut o, r);
    if let Some(g) = &r.growth {
        growth(&mut o, g);
    }
    if let Some(t) = &r.timeline {
        timeline(&mut o, t);
    }
    let _ = write!(
        o,
        "<footer>Written by {} ({}). Open it anywhere: it loads nothing.</footer>\n</body>\n</html>\n",
        escape(&r.generator),
        escape(&r.format)
    );
    o
}

fn card(o: &mut String, key: &str, value: &str, testid: &str) {
    let _ = write!(
        o,
        "<div class=\"card\"><div class=\"v\" data-testid=\"{testid}\">{}</div><div class=\"k\">{}</div></div>",
        escape(value),
        escape(key)
    );
}

fn summary(o: &mut String, r: &Report) {
    let s = &r.summary;
    o.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">");
    card(
        o,
        &format!("objects ({})", bytes(s.object_bytes)),
        &count(s.objects),
        "total-objects",
    );
    card(
        o,
        &format!("reachable objects ({})", count(s.reachable_objects)),
        &bytes(s.reachable_bytes),
        "reachable-bytes",
    );
    card(
        o,
        &format!("unreachable objects ({})", count(s.unreachable_objects)),
        &bytes(s.unreachable_bytes),
        "unreachable-bytes",
    );
    card(o, "goroutines", &count(s.goroutines), "goroutines");
    card(o, "pointer edges", &count(s.pointer_edges), "edges");
    card(
        o,
        "objects held by GC roots",
        &count(s.gc_roots),
        "gc-roots",
    );
    card(
        o,
        "finalizers (queued)",
        &format!("{} ({})", count(s.finalizers), count(s.queued_finalizers)),
        "finalizers",
    );
    card(
        o,
        &format!("alloc samples ({} buckets)", count(s.memprof_buckets)),
        &count(s.alloc_samples),
        "alloc-samples",
    );
    o.push_str("</div>\n");
    if let Some(e) = &s.decode_error {
        let _ = writeln!(
            o,
            "<p class=\"banner warn\">This dump is incomplete; what was read before the problem is analysed: {}</p>",
            escape(e)
        );
    }
    for d in &s.diagnostics {
        let _ = writeln!(o, "<p class=\"muted\">note: {}</p>", escape(d));
    }
    match &s.reconciliation {
        Some(c) => {
            o.push_str("<h3>MemStats reconciled with the objects</h3>\n<table data-testid=\"reconciliation\">\n<tr><th>MemStats</th><th class=\"num\">value</th><th>the objects in the dump</th></tr>\n");
            let _ = writeln!(
                o,
                "<tr><td>HeapAlloc</td><td class=\"num\">{}</td><td>add up to {} (difference {:+} B)</td></tr>",
                bytes(c.heap_alloc),
                bytes(c.object_bytes),
                c.bytes_difference
            );
            let _ = writeln!(
                o,
                "<tr><td>HeapObjects</td><td class=\"num\">{}</td><td>{} objects (difference {:+})</td></tr>",
                count(c.heap_objects),
                count(c.objects),
                c.objects_difference
            );
            for (k, v) in [
                ("HeapInuse", c.heap_inuse),
                ("StackInuse", c.stack_inuse),
                ("MSpanInuse", c.mspan_inuse),
                ("GCSys", c.gc_sys),
            ] {
                let _ = writeln!(
                    o,
                    "<tr><td>{k}</td><td class=\"num\">{}</td><td></td></tr>",
                    bytes(v)
                );
            }
            let last = c.recent_pauses_ns.last().copied().unwrap_or(0);
            let _ = write!(
                o,
                "<tr><td>NumGC</td><td class=\"num\">{}</td><td>pauses total {:.3} ms, last {:.3} ms</td></tr>\n</table>\n",
                count(c.num_gc),
                c.pause_total_ns as f64 / 1e6,
                last as f64 / 1e6
            );
        }
        None => o.push_str("<p class=\"muted\">The dump holds no MemStats record.</p>\n"),
    }
    let fields = s
        .memstats
        .as_ref()
        .map(|m| m.named_values())
        .unwrap_or_default();
    if !fields.is_empty() {
        o.push_str("<details><summary>Every MemStats field</summary>\n<table>\n");
        for (k, v) in &fields {
            let _ = writeln!(
                o,
                "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td></tr>",
                escape(k),
                count(*v)
            );
        }
        o.push_str("</table>\n</details>\n");
    }
    o.push_str("</section>\n");
}

fn share_list(o: &mut String, title: &str, v: &[super::share::ShareEntry]) {
    if v.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<div class=\"muted\">{}</div><ul class=\"plain\">",
        escape(title)
    );
    for s in v {
        let _ = write!(
            o,
            "<li><span class=\"mono\">{}</span> · {} objects, {}</li>",
            escape(&s.name),
            count(s.objects),
            bytes(s.bytes)
        );
    }
    o.push_str("</ul>\n");
}

fn path(o: &mut String, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    o.push_str("<div class=\"muted\">retainer path, from the root</div><ol class=\"path mono\">");
    for l in lines {
        let _ = write!(o, "<li>{}</li>", escape(l));
    }
    o.push_str("</ol>\n");
}

fn findings(o: &mut String, r: &Report) {
    o.push_str("<section id=\"leaks\">\n<h2>Leak suspects</h2>\n");
    if r.findings.is_empty() {
        o.push_str("<p data-testid=\"no-findings\">No leak suspects.</p>\n");
    }
    for (i, f) in r.findings.iter().enumerate() {
        let _ = write!(
            o,
            "<div class=\"finding\" data-testid=\"finding\"><h3>{}. <span class=\"tag\">{}</span> <span data-testid=\"finding-title\">{}</span></h3>\n\
             <div class=\"muted\">{} {} ({} of the heap) · {} objects{}</div>\n",
            i + 1,
            escape(&f.kind),
            escape(&f.title),
            if crate::analysis::leaks::measures_waste(&f.kind) {
                "wastes"
            } else {
                "retains"
            },
            bytes(f.retained_bytes),
            pct(f.share),
            count(f.objects),
            if f.goroutines > 0 {
                format!(" · {} goroutines", count(f.goroutines))
            } else {
                String::new()
            }
        );
        share_list(o, "holds", &f.classes);
        share_list(o, "allocated at", &f.alloc_sites);
        if let Some(c) = &f.created_by {
            let _ = writeln!(
                o,
                "<div>created by <span class=\"mono\">{}</span></div>",
                escape(c)
            );
        }
        if !f.stack.is_empty() {
            o.push_str("<div class=\"muted\">stack, innermost first</div><ol class=\"path mono\">");
            for s in &f.stack {
                let _ = write!(o, "<li>{}</li>", escape(s));
            }
            o.push_str("</ol>\n");
        }
        if let Some(fields) = &f.field_path {
            let _ = writeln!(
                o,
                "<div data-testid=\"field-path\">fields <span class=\"mono\">{}</span></div>",
                escape(fields)
            );
        }
        path(o, &f.retainer_path);
        o.push_str("</div>\n");
    }
    o.push_str("</section>\n");
}

fn classes(o: &mut String, r: &Report) {
    let _ = write!(
        o,
        "<section id=\"classes\">\n<h2>Classes</h2>\n<p class=\"muted\">The {} classes that retain the most, of {} (objects grouped by type, allocation site or shape; retained bytes count nested members once). {}</p>\n\
         <table data-testid=\"class-table\">\n<tr><th>class</th><th>named by</th><th class=\"num\">objects</th><th class=\"num\">shallow</th><th class=\"num\">retained</th><th class=\"num\">share</th><th>example</th></tr>\n",
        r.classes.len(),
        count(r.total_classes),
        super::SHARE_NOTE
    );
    for c in &r.classes {
        let _ = writeln!(
            o,
            "<tr data-testid=\"class-row\"><td class=\"cls mono\">{}</td><td class=\"muted\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td></tr>",
            escape(&c.class),
            c.source.label(),
            count(c.count),
            bytes(c.shallow),
            bytes(c.retained),
            pct(c.share),
            escape(&c.example)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn goroutines(o: &mut String, r: &Report) {
    let _ = write!(
        o,
        "<section id=\"goroutines\">\n<h2>Goroutine groups</h2>\n<p class=\"muted\">{} groups: goroutines parked in the same place for the same reason. Large groups blocked on synchronisation are flagged.</p>\n\
         <table data-testid=\"goroutine-table\">\n<tr><th class=\"num\">goroutines</th><th>wait reason</th><th>function</th><th>created by</th><th class=\"num\">kept only by their stacks</th></tr>\n",
        count(r.total_goroutine_groups)
    );
    for g in &r.goroutine_groups {
        let _ = write!(
            o,
            "<tr{}><td class=\"num\">{}</td><td>{}{}</td><td class=\"mono\">{}<details><summary>stack</summary><ol class=\"path\">",
            if g.looks_leaked { " class=\"flag\"" } else { "" },
            count(g.count),
            escape(&g.wait_reason),
            if g.looks_leaked {
                "<span class=\"tag bad\">leak?</span>"
            } else if g.system {
                "<span class=\"tag\">system</span>"
            } else {
                ""
            },
            escape(&g.top_function)
        );
        for f in &g.stack {
            let _ = write!(o, "<li>{}</li>", escape(f));
        }
        let _ = writeln!(
            o,
            "</ol></details></td><td class=\"mono\">{}</td><td class=\"num\">{}</td></tr>",
            escape(g.created_by.as_deref().unwrap_or("")),
            if g.stack_retained_bytes > 0 {
                format!(
                    "{} in {} objects",
                    bytes(g.stack_retained_bytes),
                    count(g.stack_retained_objects)
                )
            } else {
                String::new()
            }
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn growth(o: &mut String, g: &Growth) {
    let names: Vec<String> = g.dumps.iter().map(|&i| format!("#{}", i + 1)).collect();
    for w in &g.warnings {
        let _ = writeln!(o, "<div class=\"banner warn\">{}</div>", escape(w));
    }
    let _ = write!(
        o,
        "<section id=\"growth\">\n<h2>Growth between dumps {}</h2>\n\
         <p class=\"muted\">Objects at the same address with the same size in two dumps are taken to be the same object (Go does not move objects).</p>\n\
         <h3>Leak candidates: {} objects, {}</h3><p class=\"muted\">{}</p>\n",
        names.join(", "),
        count(g.candidate_objects),
        bytes(g.candidate_bytes),
        if g.dumps.len() >= 3 {
            "Objects new in the second dump that are still alive in the third."
        } else {
            "Objects in the second dump that were not in the first."
        }
    );
    o.push_str("<table data-testid=\"candidates\">\n<tr><th>class</th><th class=\"num\">objects</th><th class=\"num\">bytes</th><th>allocated at</th><th>example</th></tr>\n");
    for c in &g.candidates {
        let _ = write!(o, "<tr><td class=\"cls mono\">{}", escape(&c.class));
        if !c.retainer_path.is_empty() {
            o.push_str("<details><summary>retainer path</summary><ol class=\"path\">");
            for l in &c.retainer_path {
                let _ = write!(o, "<li>{}</li>", escape(l));
            }
            o.push_str("</ol></details>");
        }
        let _ = writeln!(
            o,
            "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            count(c.objects),
            bytes(c.bytes),
            escape(c.alloc_site.as_deref().unwrap_or("")),
            escape(&c.example)
        );
    }
    let _ = write!(
        o,
        "</table>\n<h3>Class growth</h3><p class=\"muted\">The {} classes that grew the most in bytes, of {}.</p>\n<table data-testid=\"growth-table\">\n<tr><th>class</th>",
        g.classes.len(),
        count(g.total_classes)
    );
    for n in &names {
        let _ = write!(o, "<th class=\"num\">objects {n}</th>");
    }
    for n in &names {
        let _ = write!(o, "<th class=\"num\">bytes {n}</th>");
    }
    o.push_str("<th class=\"num\">growth</th></tr>\n");
    for c in &g.classes {
        let _ = write!(o, "<tr><td class=\"cls mono\">{}</td>", escape(&c.class));
        for n in &c.counts {
            let _ = write!(o, "<td class=\"num\">{}</td>", count(*n));
        }
        for b in &c.bytes {
            let _ = write!(o, "<td class=\"num\">{}</td>", bytes(*b));
        }
        let d = *c.bytes.last().unwrap_or(&0) as i128 - *c.bytes.first().unwrap_or(&0) as i128;
        let _ = writeln!(o, "<td class=\"num\">{}</td></tr>", signed_bytes(d));
    }
    o.push_str("</table>\n</section>\n");
}

/// `+1.25 s` from the first dump's LastGC.
fn offset_label(t: &Timeline, i: usize) -> String {
    let first = t.dumps.first().and_then(|d| d.last_gc_unix_ns);
    match (first, t.dumps[i].last_gc_unix_ns) {
        (Some(a), Some(b)) if i > 0 => {
            let s = (b as f64 - a as f64) / 1e9;
            if s.abs() < 1.0 {
                format!("+{:.0} ms", s * 1000.0)
            } else if s.abs() < 120.0 {
                format!("+{s:.1} s")
            } else {
                format!("+{:.1} min", s / 60.0)
            }
        }
        _ => String::new(),
    }
}

/// A line chart of in-use bytes: the whole heap and the flagged classes (or, with none
/// flagged, the classes that grew the most).
pub fn timeline_svg(t: &Timeline) -> String {
    let chart = super::chart::LineChart::new(
        (760.0, 240.0),
        (70.0, 20.0, 14.0, 40.0),
        t.dumps.iter().map(|d| d.bytes).collect(),
        t.classes
            .iter()
            .map(|c| (c.name.as_str(), c.bytes.as_slice(), c.grows)),
    );
    let lines = &chart.lines;
    let (w, h) = (chart.w, chart.h);
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg data-testid=\"timeline-chart\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"in-use bytes per dump\">\
         <title>In-use bytes per dump</title>"
    );
    let (x1, x2, label_x) = chart.grid_x();
    for (v, yy) in chart.grid() {
        let _ = write!(
            o,
            "<line class=\"axis\" x1=\"{x1}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/><text x=\"{label_x}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            yy + 4.0,
            escape(&bytes(v))
        );
    }
    for i in 0..t.dumps.len() {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"{}\">#{} {}</text>",
            chart.x(i),
            chart.label_y(18.0),
            chart.anchor(i),
            i + 1,
            escape(&offset_label(t, i))
        );
    }
    for (k, (name, v)) in lines.iter().enumerate() {
        let _ = write!(
            o,
            "<g class=\"s{}\"><title>{}</title><polyline points=\"{}\"/>",
            k % 6,
            escape(name),
            chart.points(v)
        );
        for (i, &b) in v.iter().enumerate() {
            let _ = write!(
                o,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"/>",
                chart.x(i),
                chart.y(b)
            );
        }
        o.push_str("</g>");
    }
    o.push_str("</svg><ul class=\"legend\">");
    for (k, (name, _)) in lines.iter().enumerate() {
        let _ = write!(
            o,
            "<li class=\"s{}\"><span class=\"sw\"></span><span class=\"mono\">{}</span></li>",
            k % 6,
            escape(name)
        );
    }
    o.push_str("</ul>");
    o
}

fn series_table(o: &mut String, t: &Timeline, rows: &[Series], testid: &str, what: &str) {
    let _ = write!(o, "<table data-testid=\"{testid}\">\n<tr><th>{what}</th>");
    for i in 0..t.dumps.len() {
        let _ = write!(
            o,
            "<th class=\"num\">#{} objects</th><th class=\"num\">#{} bytes</th>",
            i + 1,
            i + 1
        );
    }
    o.push_str("</tr>\n");
    for s in rows {
        let _ = write!(
            o,
            "<tr{}><td class=\"cls mono\">{}{}{}</td>",
            if s.grows { " class=\"flag\"" } else { "" },
            escape(&s.name),
            if s.grows {
                format!(
                    "<span class=\"tag\" data-testid=\"grows\">grows since #{}</span>",
                    s.growing_since.unwrap_or(0) + 1
                )
            } else {
                String::new()
            },
            s.file
                .as_ref()
                .map(|f| format!("<div class=\"muted\">{}</div>", escape(f)))
                .unwrap_or_default()
        );
        for (n, b) in s.counts.iter().zip(&s.bytes) {
            let _ = write!(
                o,
                "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                count(*n),
                bytes(*b)
            );
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

fn timeline(o: &mut String, t: &Timeline) {
    let flagged: Vec<&Series> = t.flagged_classes().collect();
    let _ = write!(
        o,
        "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p class=\"muted\">{} dumps ordered by {}. A class is flagged when its bytes rose in every dump over at least three, up to the newest.</p>\n",
        t.dumps.len(),
        escape(&t.ordered_by)
    );
    o.push_str(&timeline_svg(t));
    o.push_str("<table data-testid=\"timeline-dumps\">\n<tr><th>#</th><th>dump</th><th>last GC</th><th class=\"num\">objects</th><th class=\"num\">in use</th><th class=\"num\">HeapAlloc</th></tr>\n");
    for (i, d) in t.dumps.iter().enumerate() {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            i + 1,
            escape(&d.name),
            escape(d.time_utc.as_deref().unwrap_or("no MemStats")),
            count(d.objects),
            bytes(d.bytes),
            d.heap_alloc.map(bytes).unwrap_or_default()
        );
    }
    o.push_str("</table>\n");
    if flagged.is_empty() {
        o.push_str("<p data-testid=\"no-growing-classes\">No class grew in every dump.</p>\n");
    } else {
        let _ = writeln!(
            o,
            "<p><strong>{} growing {}:</strong> {}</p>",
            flagged.len(),
            if flagged.len() == 1 {
                "class"
            } else {
                "classes"
            },
            flagged
                .iter()
                .map(|s| format!("<span class=\"mono\">{}</span>", escape(&s.name)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        o,
        "<h3>By class</h3><p class=\"muted\">{} of {} classes.</p>",
        t.classes.len(),
        count(t.total_classes)
    );
    series_table(o, t, &t.classes, "timeline-classes", "class");
    let _ = writeln!(
        o,
        "<h3>By allocation site</h3><p class=\"muted\">{} of {} sites (sampled objects; the rest are counted as {}).</p>",
        t.sites.len(),
        count(t.total_sites),
        escape(super::timeline::UNSAMPLED)
    );
    series_table(o, t, &t.sites, "timeline-sites", "allocation site");
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("a&\"b'"), "a&amp;&quot;b&#39;");
        assert_eq!(escape("x\u{1b}[31m"), "x\\u{1b}[31m");
    }

    #[test]
    fn an_empty_report_renders() {
        let html = render(&Report::default());
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn a_findings_field_path_is_shown_when_named() {
        let finding = |field_path: Option<&str>| super::super::share::FindingEntry {
            kind: "accumulation".into(),
            title: "t".into(),
            field_path: field_path.map(str::to_string),
            ..Default::default()
        };
        let mut r = Report {
            findings: vec![finding(None)],
            ..Default::default()
        };
        assert!(!render(&r).contains("field-path"));
        r.findings = vec![finding(Some(
            "main.registry .tenants [map value] .items<x>",
        ))];
        let html = render(&r);
        assert!(
            html.contains("main.registry .tenants [map value] .items&lt;x&gt;</span>"),
            "{html}"
        );
    }
}
