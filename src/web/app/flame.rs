//! Flame graph of retained memory: the dominator tree merged by class path
//! (`analysis::flame`), the roots on top and what they hold below, each frame as wide as
//! the bytes its objects retain. Clicking a frame zooms into it; the path above the graph
//! zooms out. The same tree as the pprof export, drawn here without leaving the page.

use std::rc::Rc;

use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{Route, ViewKind};
use crate::engine::protocol::*;

/// Drawing units: the SVG scales to the panel's width.
const W: f64 = 1200.0;
const ROW: f64 = 20.0;
/// Frames narrower than this (in drawing units) are not drawn.
const MIN_W: f64 = 0.6;

const NONE: u32 = u32::MAX;

/// A frame's colour class: by name, so a class keeps its colour wherever it appears.
fn colour(row: &FlameRow) -> String {
    if row.kind != "class" {
        return "other".into();
    }
    let h = row
        .name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("c{}", h % 8)
}

/// One drawn frame: node, x, width (drawing units), row.
type Placed = (u32, f64, f64, u32);

/// Lays out the frames under `zoom` (all roots when None) into rows, widest child first;
/// iterative, though depth is bounded by `analysis::flame::MAX_DEPTH`.
fn layout(v: &FlameView, children: &[Vec<u32>], zoom: Option<u32>) -> Vec<Placed> {
    let (base, scale): (Vec<u32>, f64) = match zoom {
        Some(z) => (vec![z], v.nodes[z as usize].cum_bytes.max(1) as f64),
        None => (
            (0..v.nodes.len() as u32)
                .filter(|&i| v.nodes[i as usize].parent == NONE)
                .collect(),
            v.total_bytes.max(1) as f64,
        ),
    };
    let mut base = base;
    base.sort_by_key(|&i| std::cmp::Reverse(v.nodes[i as usize].cum_bytes));
    let mut out = Vec::new();
    let mut stack: Vec<(u32, f64, u32)> = Vec::new();
    let mut x = 0.0;
    for &b in &base {
        stack.push((b, x, 0));
        x += v.nodes[b as usize].cum_bytes as f64 / scale * W;
    }
    while let Some((i, x, row)) = stack.pop() {
        let w = v.nodes[i as usize].cum_bytes as f64 / scale * W;
        if w < MIN_W {
            continue;
        }
        out.push((i, x, w, row));
        let mut cx = x;
        for &c in &children[i as usize] {
            stack.push((c, cx, row + 1));
            cx += v.nodes[c as usize].cum_bytes as f64 / scale * W;
        }
    }
    out
}

#[function_component]
pub fn FlameGraph() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let state = use_state(|| None::<Result<Rc<FlameView>, String>>);
    let zoom = use_state(|| None::<u32>);
    {
        let (state, zoom) = (state.clone(), zoom.clone());
        let bridge = app.bridge.clone();
        use_effect_with(app.generation, move |_| {
            state.set(None);
            zoom.set(None);
            let id = bridge.request(
                Request::Flame,
                None,
                Callback::from(move |r: Reply| match r.resp {
                    Response::Flame(v) => state.set(Some(Ok(Rc::new(*v)))),
                    Response::Error { message } => state.set(Some(Err(message))),
                    _ => {}
                }),
            );
            move || bridge.forget(id)
        });
    }
    let intro = html! {
        <div class="panel">
            <h2>{ "Flame graph of retained memory" }</h2>
            <p class="muted">{ "The dominator tree merged by class: on top the roots (globals by offset, stacks by \
                function), below each frame the classes its objects keep alive, each frame as wide as the bytes it \
                retains. A frame's width for a class is that class's retained size in Classes. Nested objects of one \
                class are one frame. Click a frame to zoom in. Export → Download pprof writes the same tree for \
                go tool pprof." }</p>
        </div>
    };
    let v = match &*state {
        None => return html! { <div>{ intro }<p class="muted">{ "building…" }</p></div> },
        Some(Err(e)) => return html! { <div>{ intro }<p class="err">{ e }</p></div> },
        Some(Ok(v)) => v.clone(),
    };
    let mut children = vec![Vec::new(); v.nodes.len()];
    for (i, n) in v.nodes.iter().enumerate() {
        if n.parent != NONE {
            children[n.parent as usize].push(i as u32);
        }
    }
    for c in &mut children {
        c.sort_by_key(|&i| std::cmp::Reverse(v.nodes[i as usize].cum_bytes));
    }
    let z = (*zoom).filter(|&z| (z as usize) < v.nodes.len());
    let placed = layout(&v, &children, z);
    let rows = placed.iter().map(|p| p.3 + 1).max().unwrap_or(1);
    let frames = placed.iter().map(|&(i, x, w, row)| {
        let n = &v.nodes[i as usize];
        let tip = format!(
            "{}\nretains {} ({} of reachable), {} objects\nits own: {} in {} objects",
            n.name,
            fmt::bytes(n.cum_bytes),
            fmt::percent(n.cum_bytes, v.total_bytes),
            fmt::count(n.cum_objects),
            fmt::bytes(n.self_bytes),
            fmt::count(n.self_objects),
        );
        let onclick = {
            let zoom = zoom.clone();
            Callback::from(move |_: MouseEvent| zoom.set(Some(i)))
        };
        let y = f64::from(row) * ROW;
        let chars = ((w - 6.0) / 7.0).max(0.0) as usize;
        html! {
            <g class={classes!("frame", n.kind.clone(), colour(n))} {onclick} data-testid="flame-node"
                data-name={n.name.clone()} data-cum={n.cum_bytes.to_string()}>
                <rect x={format!("{x:.2}")} y={format!("{y:.1}")} width={format!("{:.2}", (w - 0.5).max(0.3))}
                    height={format!("{:.1}", ROW - 1.0)}>
                    <title>{ tip }</title>
                </rect>
                if chars >= 3 {
                    <text x={format!("{:.1}", x + 3.0)} y={format!("{:.1}", y + 14.0)}>{ fmt::fit(&n.name, chars) }</text>
                }
            </g>
        }
    });

    // The path from the top down to the zoomed frame, each step a way back out.
    let mut path = Vec::new();
    let mut x = z.unwrap_or(NONE);
    while x != NONE {
        path.push(x);
        x = v.nodes[x as usize].parent;
    }
    path.reverse();
    let crumbs = path.iter().map(|&i| {
        let onclick = {
            let zoom = zoom.clone();
            Callback::from(move |_: MouseEvent| zoom.set(Some(i)))
        };
        html! { <>{ " › " }<a href="#" class="mono" onclick={prevent(onclick)}>{ &v.nodes[i as usize].name }</a></> }
    });
    let all = {
        let zoom = zoom.clone();
        prevent(Callback::from(move |_: MouseEvent| zoom.set(None)))
    };
    let detail = z.map(|z| {
        let n = &v.nodes[z as usize];
        html! {
            <p data-testid="flame-detail">
                { format!("{} retains {} ({} of reachable) in {} objects; its own objects here: {} in {}. ",
                    n.name, fmt::bytes(n.cum_bytes), fmt::percent(n.cum_bytes, v.total_bytes),
                    fmt::count(n.cum_objects), fmt::count(n.self_objects), fmt::bytes(n.self_bytes)) }
                if n.kind == "class" {
                    <a href={Route::with_filter(ViewKind::Classes, &format!("={}", n.name)).to_hash()}>{ "show the class" }</a>
                }
            </p>
        }
    });
    html! {
        <div>
            { intro }
            <div class="panel">
                <p class="crumbs" data-testid="flame-path">
                    <a href="#" onclick={all}>{ format!("all reachable ({})", fmt::bytes(v.total_bytes)) }</a>
                    { for crumbs }
                </p>
                { for detail }
                <svg class="flame" viewBox={format!("0 0 {W} {}", f64::from(rows) * ROW)} data-testid="flame-graph">
                    { for frames }
                </svg>
                if v.omitted_nodes > 0 {
                    <p class="muted">{ format!("{} smaller frames (under {}% of the reachable bytes, or past the {} widest) are not drawn.",
                        fmt::count(v.omitted_nodes), FLAME_MIN_SHARE * 100.0, fmt::count(FLAME_NODES as u64)) }</p>
                }
            </div>
        </div>
    }
}

/// A link's click without following its `href`.
fn prevent(cb: Callback<MouseEvent>) -> Callback<MouseEvent> {
    Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        cb.emit(e)
    })
}
