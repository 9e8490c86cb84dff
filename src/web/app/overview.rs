//! Overview: what the dump is, how much is reachable, MemStats next to what the objects
//! add up to, recent GC pauses, and a treemap of what the roots' dominator subtrees retain
//! (down a chain of objects that holds nearly everything, to where it splits: the engine
//! chooses the level, see `TreemapView`).

use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{Route, ViewKind};
use crate::engine::protocol::*;

/// Cells in the treemap (the rest is one "other" cell).
const TREEMAP_CELLS: u32 = 40;

#[function_component]
pub fn Overview() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let s = &app.loaded.summary;
    let reach_w = if s.object_bytes > 0 {
        1000.0 * s.reachable_bytes as f64 / s.object_bytes as f64
    } else {
        0.0
    };
    html! {
        <div class="overview">
            <section class="cards">
                <div class="card">
                    <div class="label">{ "Go version" }</div>
                    <div class="value" data-testid="go-version">{ &s.go_version }</div>
                    <div class="muted">{ format!("{} · {}-bit{} · {} CPUs", s.arch, u32::from(s.pointer_size) * 8,
                        if s.big_endian { " big-endian" } else { "" }, s.ncpu) }</div>
                </div>
                <div class="card">
                    <div class="label">{ "Objects" }</div>
                    <div class="value" data-testid="total-objects">{ s.objects }</div>
                    <div class="muted">{ format!("{} pointer edges", fmt::count(s.pointer_edges)) }</div>
                </div>
                <div class="card">
                    <div class="label">{ "Object bytes" }</div>
                    <div class="value" title={format!("{} B", s.object_bytes)}>{ fmt::bytes(s.object_bytes) }</div>
                    <div class="muted">{ format!("heap {} – {}", s.heap_start, s.heap_end) }</div>
                </div>
                <div class="card">
                    <div class="label">{ "Goroutines" }</div>
                    <div class="value">{ fmt::count(s.goroutines) }</div>
                    <div class="muted">{ format!("{} stack frames", fmt::count(s.stack_frames)) }</div>
                </div>
                <div class="card">
                    <div class="label">{ "GC roots" }</div>
                    <div class="value">{ fmt::count(s.gc_roots) }</div>
                    <div class="muted">{ format!("held by {} root pointers", fmt::count(s.root_pointers)) }</div>
                </div>
                <div class="card">
                    <div class="label">{ "Finalizers" }</div>
                    <div class="value">{ fmt::count(s.finalizers) }</div>
                    <div class="muted">{ format!("{} queued", fmt::count(s.queued_finalizers)) }</div>
                </div>
            </section>

            <section class="panel">
                <h2>{ "Reachability" }</h2>
                <svg class="bar" viewBox="0 0 1000 20" preserveAspectRatio="none" data-testid="reachability-bar">
                    <rect class="reachable" x="0" y="0" width={format!("{reach_w:.1}")} height="20" />
                    <rect class="unreachable" x={format!("{reach_w:.1}")} y="0" width={format!("{:.1}", 1000.0 - reach_w)} height="20" />
                </svg>
                <div class="legend">
                    <span><i class="sw reachable"></i>{ format!("reachable: {} objects, {} ({})", fmt::count(s.reachable_objects),
                        fmt::bytes(s.reachable_bytes), fmt::percent(s.reachable_bytes, s.object_bytes)) }</span>
                    <span><i class="sw unreachable"></i>
                        <a href={Route::to(ViewKind::Lost).to_hash()}>{ format!("unreachable: {} objects, {}",
                            fmt::count(s.unreachable_objects), fmt::bytes(s.unreachable_bytes)) }</a></span>
                </div>
                if let Some(advice) = &s.unreachable_advice {
                    <p class="muted" data-testid="unreachable-advice">{ advice }</p>
                }
            </section>

            <section class="panel">
                <h2>{ "Retained by the roots' dominator subtrees" }</h2>
                <Treemap />
            </section>

            <div class="two">
                <section class="panel">
                    <h2>{ "MemStats vs. the objects in the dump" }</h2>
                    { reconciliation(s) }
                </section>
                <section class="panel">
                    <h2>{ "Recent GC pauses" }</h2>
                    { pause_chart(s.reconciliation.as_ref()) }
                </section>
            </div>

            if !s.diagnostics.is_empty() {
                <section class="panel">
                    <h2>{ "Notes" }</h2>
                    <ul>{ for s.diagnostics.iter().map(|d| html! { <li>{ d }</li> }) }</ul>
                </section>
            }
            <section class="panel">
                <details>
                    <summary>{ "Record counts and all MemStats fields" }</summary>
                    <table class="kv">
                        { kv("memprof buckets", fmt::count(s.memprof_buckets)) }
                        { kv("alloc samples", fmt::count(s.alloc_samples)) }
                        { kv("type records", fmt::count(s.type_records)) }
                        { kv("itabs", fmt::count(s.itabs)) }
                        { kv("span-tail records (not objects)", fmt::count(s.phantom_records)) }
                        { kv("span-tail layout", format!("{}: {}", s.span_tails.layout.describe(), s.span_tails.basis)) }
                        { kv("dangling pointers", fmt::count(s.dangling_pointers)) }
                        { for s.memstats.iter().flat_map(|m| m.named_values()).map(|(k, v)| kv(&k, fmt::count(v))) }
                    </table>
                </details>
            </section>
        </div>
    }
}

fn kv(k: &str, v: String) -> Html {
    html! { <tr><th>{ k }</th><td class="num">{ v }</td></tr> }
}

fn reconciliation(s: &Summary) -> Html {
    let Some(r) = &s.reconciliation else {
        return html! { <p class="muted">{ "This dump has no MemStats record." }</p> };
    };
    html! {
        <table class="kv" data-testid="reconciliation">
            <tr><th></th><th class="num">{ "MemStats" }</th><th class="num">{ "objects in dump" }</th><th class="num">{ "difference" }</th></tr>
            <tr><th>{ "bytes (HeapAlloc)" }</th>
                <td class="num">{ fmt::bytes(r.heap_alloc) }</td>
                <td class="num">{ fmt::bytes(r.object_bytes) }</td>
                <td class="num">{ format!("{} B", fmt::signed(r.bytes_difference)) }</td></tr>
            <tr><th>{ "objects (HeapObjects)" }</th>
                <td class="num">{ fmt::count(r.heap_objects) }</td>
                <td class="num">{ fmt::count(r.objects) }</td>
                <td class="num">{ fmt::signed(r.objects_difference) }</td></tr>
            <tr><th>{ "HeapInuse" }</th><td class="num">{ fmt::bytes(r.heap_inuse) }</td><td></td><td></td></tr>
            <tr><th>{ "StackInuse" }</th><td class="num">{ fmt::bytes(r.stack_inuse) }</td><td></td><td></td></tr>
            <tr><th>{ "MSpanInuse" }</th><td class="num">{ fmt::bytes(r.mspan_inuse) }</td><td></td><td></td></tr>
            <tr><th>{ "GCSys" }</th><td class="num">{ fmt::bytes(r.gc_sys) }</td><td></td><td></td></tr>
            <tr><th>{ "NumGC" }</th><td class="num">{ fmt::count(r.num_gc) }</td><td></td><td></td></tr>
            <tr><th>{ "PauseTotalNs" }</th><td class="num">{ fmt::duration_ns(r.pause_total_ns) }</td><td></td><td></td></tr>
        </table>
    }
}

fn pause_chart(r: Option<&Reconciliation>) -> Html {
    let pauses = r.map(|r| r.recent_pauses_ns.as_slice()).unwrap_or(&[]);
    if pauses.is_empty() {
        return html! { <p class="muted">{ "No GC pauses recorded (NumGC is 0)." }</p> };
    }
    let max = pauses.iter().copied().max().unwrap_or(1).max(1);
    let (w, h) = (600.0, 160.0);
    // Bars stay narrow when there are few GCs, so one pause is not a solid block.
    let bw = (w / pauses.len() as f64).min(16.0);
    let bars = pauses.iter().enumerate().map(|(i, &p)| {
        let bh = (h - 4.0) * p as f64 / max as f64;
        html! {
            <rect class="pause" x={format!("{:.2}", i as f64 * bw)} y={format!("{:.2}", h - bh)}
                width={format!("{:.2}", (bw - 1.0).max(0.5))} height={format!("{bh:.2}")}>
                <title>{ format!("GC #{} · pause {}", i + 1, fmt::duration_ns(p)) }</title>
            </rect>
        }
    });
    let avg = pauses.iter().sum::<u64>() / pauses.len() as u64;
    html! {
        <div>
            <svg class="chart" viewBox={format!("0 0 {w} {h}")} preserveAspectRatio="none" data-testid="pause-chart">
                { for bars }
            </svg>
            <div class="legend muted">
                <span>{ format!("{} pauses, oldest first", pauses.len()) }</span>
                <span>{ format!("max {}", fmt::duration_ns(max)) }</span>
                <span>{ format!("mean {}", fmt::duration_ns(avg)) }</span>
            </div>
        </div>
    }
}

/// Squarified treemap layout (Bruls, Huizing, van Wijk 2000) of `values` (sorted largest
/// first) into the rectangle `(x, y, w, h)`.
pub fn squarify(values: &[f64], x: f64, y: f64, w: f64, h: f64) -> Vec<(f64, f64, f64, f64)> {
    let total: f64 = values.iter().sum();
    if total <= 0.0 || w <= 0.0 || h <= 0.0 {
        return vec![(x, y, 0.0, 0.0); values.len()];
    }
    let scale = w * h / total;
    let areas: Vec<f64> = values.iter().map(|v| v * scale).collect();
    let worst = |row: &[f64], side: f64| -> f64 {
        let s: f64 = row.iter().sum();
        let max = row.iter().cloned().fold(f64::MIN, f64::max);
        let min = row.iter().cloned().fold(f64::MAX, f64::min);
        if min <= 0.0 || s <= 0.0 {
            return f64::MAX;
        }
        (side * side * max / (s * s)).max(s * s / (side * side * min))
    };
    let (mut x, mut y, mut w, mut h) = (x, y, w, h);
    let mut out = Vec::with_capacity(areas.len());
    let mut rest = &areas[..];
    while !rest.is_empty() {
        let side = w.min(h);
        let mut n = 1;
        while n < rest.len() && worst(&rest[..n + 1], side) <= worst(&rest[..n], side) {
            n += 1;
        }
        let row = &rest[..n];
        let s: f64 = row.iter().sum();
        if w >= h {
            let cw = if h > 0.0 { s / h } else { 0.0 };
            let mut yy = y;
            for a in row {
                let rh = if cw > 0.0 { a / cw } else { 0.0 };
                out.push((x, yy, cw, rh));
                yy += rh;
            }
            x += cw;
            w -= cw;
        } else {
            let rh = if w > 0.0 { s / w } else { 0.0 };
            let mut xx = x;
            for a in row {
                let cw = if rh > 0.0 { a / rh } else { 0.0 };
                out.push((xx, y, cw, rh));
                xx += cw;
            }
            y += rh;
            h -= rh;
        }
        rest = &rest[n..];
    }
    out
}

/// The chain the treemap descended through, named: the global (or root) that holds it,
/// then each object's class, each a link to the inspector.
fn chain_label(v: &TreemapView, reachable: u64, on_top: Callback<MouseEvent>) -> Html {
    let steps = v.chain.iter().enumerate().map(|(i, o)| {
        html! {
            <>
                if i > 0 || v.root_label.is_some() { <span class="arrow">{ " → " }</span> }
                <a class="cls" href={Route::object(ViewKind::Inspector, o.addr).to_hash()}
                    title={format!("{} · retains {}", o.address, fmt::bytes(o.retained))}>{ &o.class }</a>
            </>
        }
    });
    html! {
        <div class="treemap-chain" data-testid="treemap-chain">
            <span class="muted">{ format!("{} of the reachable bytes hang from one chain, shown where it splits: ",
                fmt::percent(v.bytes, reachable)) }</span>
            <span class="mono" data-testid="treemap-chain-names">
                if let Some(r) = &v.root_label { <span>{ r }</span> }
                { for steps }
            </span>
            { " " }
            <button class="link small" data-testid="treemap-top" onclick={on_top}>{ "show every root" }</button>
        </div>
    }
}

#[function_component]
fn Treemap() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let view = use_state(|| None::<TreemapView>);
    // Descend a dominating chain (the default), or show the roots' subtrees.
    let drill = use_state(|| true);
    {
        let view = view.clone();
        let bridge = app.bridge.clone();
        use_effect_with((app.generation, *drill), move |&(_, drill)| {
            let id = bridge.request(
                Request::Treemap {
                    cells: TREEMAP_CELLS,
                    drill,
                },
                None,
                Callback::from(move |r: Reply| {
                    if let Response::Treemap(v) = r.resp {
                        view.set(Some(*v));
                    }
                }),
            );
            move || bridge.forget(id)
        });
    }
    let Some(v) = &*view else {
        return html! { <p class="muted">{ "loading…" }</p> };
    };
    let reachable = app.loaded.summary.reachable_bytes;
    let rows = &v.cells;
    let shown: u64 = rows.iter().map(|r| r.retained).sum();
    let other = v.bytes.saturating_sub(shown + v.self_bytes);
    let mut values: Vec<f64> = rows.iter().map(|r| r.retained as f64).collect();
    // After the children: the node's own bytes (below a chain), then the children not sent.
    let own = v.chain.last().filter(|_| v.self_bytes > 0);
    if own.is_some() {
        values.push(v.self_bytes as f64);
    }
    if other > 0 {
        values.push(other as f64);
    }
    let (w, h) = (1000.0, 360.0);
    let rects = squarify(&values, 0.0, 0.0, w, h);
    let cells = rects.iter().enumerate().map(|(i, &(x, y, cw, ch))| {
        let (label, bytes, href) = match (rows.get(i), i.saturating_sub(rows.len())) {
            (Some(r), _) => (
                r.class.clone(),
                r.retained,
                Some(Route::object(ViewKind::Inspector, r.addr).to_hash()),
            ),
            (None, 0) if own.is_some() => {
                let o = own.expect("checked");
                (
                    format!("{} itself", o.class),
                    v.self_bytes,
                    Some(Route::object(ViewKind::Inspector, o.addr).to_hash()),
                )
            }
            _ => (
                format!("{} more subtrees", v.children.saturating_sub(rows.len() as u64)),
                other,
                None,
            ),
        };
        let tip = format!("{label}\n{} retained ({})", fmt::bytes(bytes), fmt::percent(bytes, reachable));
        let chars = ((cw - 8.0) / 7.0).max(0.0) as usize;
        let show_text = cw > 60.0 && ch > 30.0;
        let text = fmt::fit(&label, chars);
        let onclick = href.clone().map(|href| {
            Callback::from(move |_: MouseEvent| {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_hash(&href);
                }
            })
        });
        let class = classes!(
            "cell",
            if href.is_some() { format!("c{}", i % 8) } else { "other".to_string() }
        );
        html! {
            <g class={class} {onclick}>
                <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", (cw - 1.0).max(0.0))}
                    height={format!("{:.1}", (ch - 1.0).max(0.0))}>
                    <title>{ tip }</title>
                </rect>
                if show_text {
                    <text x={format!("{:.1}", x + 5.0)} y={format!("{:.1}", y + 16.0)}>{ text }</text>
                    <text class="sub" x={format!("{:.1}", x + 5.0)} y={format!("{:.1}", y + 30.0)}>{ fmt::bytes(bytes) }</text>
                }
            </g>
        }
    });
    let set_drill = |to: bool| {
        let drill = drill.clone();
        Callback::from(move |_: MouseEvent| drill.set(to))
    };
    html! {
        <>
            if !v.chain.is_empty() {
                { chain_label(v, reachable, set_drill(false)) }
            } else if !*drill {
                <div class="treemap-chain muted">
                    { "Every root's subtree. " }
                    <button class="link small" data-testid="treemap-drill" onclick={set_drill(true)}>
                        { "descend a dominating chain" }</button>
                </div>
            }
            <svg class="treemap" viewBox={format!("0 0 {w} {h}")} data-testid="treemap">
                { for cells }
            </svg>
        </>
    }
}
