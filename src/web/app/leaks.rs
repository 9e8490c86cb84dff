//! Leak suspects: the core's ranked findings (`analysis::leaks`), largest impact first,
//! each with the evidence that explains it.

use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{parse_addr, Route, ViewKind};
use crate::engine::protocol::*;

fn kind_title(kind: &str) -> &str {
    match kind {
        "accumulation" => "accumulation point",
        "goroutine_leak" => "goroutine leak",
        "unreachable_garbage" => "unreachable garbage",
        "finalizer_backlog" => "finalizer backlog",
        "duplicate_strings" => "duplicate strings",
        "duplicate_bytes" => "duplicate buffers",
        "pinned_buffer" => "pinned buffer",
        "slice_capacity" => "unused slice capacity",
        "map_capacity" => "empty map table",
        "chan_buffer" => "idle channel buffer",
        "cut_dump" => "cut dump",
        other => other,
    }
}

fn shares(title: &str, rows: &[ShareEntry]) -> Html {
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <div>
            <h4>{ title }</h4>
            <table class="kv">
                { for rows.iter().take(8).map(|s| html! {
                    <tr>
                        <td class="cls" title={s.name.clone()}>{ &s.name }</td>
                        <td class="num">{ format!("{} objects", fmt::count(s.objects)) }</td>
                        <td class="num">{ fmt::bytes(s.bytes) }</td>
                    </tr>
                }) }
            </table>
        </div>
    }
}

fn finding(i: usize, f: &FindingEntry) -> Html {
    let object = f.object.as_deref().and_then(parse_addr);
    html! {
        <section class={classes!("panel", "finding", f.kind.clone())} data-testid="finding">
            <div class="row">
                <span class="rank">{ format!("#{}", i + 1) }</span>
                <span class="badge">{ kind_title(&f.kind) }</span>
                <h3 class="title" data-testid="finding-title">{ &f.title }</h3>
            </div>
            <div class="row muted">
                <meter min="0" max="1" value={format!("{:.4}", f.share.clamp(0.0, 1.0))}></meter>
                <span>{ format!(
                    "{} {} ({:.1}%)",
                    if crate::analysis::leaks::measures_waste(&f.kind) { "wastes" } else { "retains" },
                    fmt::bytes(f.retained_bytes),
                    f.share * 100.0
                ) }</span>
                if f.objects > 0 { <span>{ format!("{} objects", fmt::count(f.objects)) }</span> }
                if f.goroutines > 0 { <span>{ format!("{} goroutines", fmt::count(f.goroutines)) }</span> }
                if let Some(a) = object {
                    <a class="mono" href={Route::object(ViewKind::Inspector, a).to_hash()}>{ format!("inspect 0x{a:x}") }</a>
                    <a href={Route::object(ViewKind::Retainers, a).to_hash()}>{ "retainers" }</a>
                }
            </div>
            if f.wait_reason.is_some() || f.function.is_some() || f.created_by.is_some() {
                <table class="kv">
                    if let Some(w) = &f.wait_reason { <tr><th>{ "wait reason" }</th><td>{ w }</td></tr> }
                    if let Some(w) = &f.function { <tr><th>{ "function" }</th><td class="mono">{ w }</td></tr> }
                    if let Some(w) = &f.created_by { <tr><th>{ "created by" }</th><td class="mono">{ w }</td></tr> }
                </table>
            }
            <div class="two">
                { shares("What it holds, by class", &f.classes) }
                { shares("By allocation site", &f.alloc_sites) }
            </div>
            if let Some(fields) = &f.field_path {
                <h4>{ "Fields" }</h4>
                <div class="mono" data-testid="finding-fields">{ fields }</div>
            }
            if !f.retainer_path.is_empty() {
                <h4>{ "Retainer path" }</h4>
                <ol class="chain mono">
                    { for f.retainer_path.iter().map(|l| html! { <li>{ l }</li> }) }
                </ol>
            }
            if !f.stack.is_empty() {
                <details>
                    <summary>{ format!("stack ({} frames)", f.stack.len()) }</summary>
                    <ol class="stack mono">{ for f.stack.iter().map(|l| html! { <li>{ l }</li> }) }</ol>
                </details>
            }
        </section>
    }
}

#[function_component]
pub fn LeakSuspects() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let state = use_state(|| None::<Result<Vec<FindingEntry>, String>>);
    {
        let state = state.clone();
        let bridge = app.bridge.clone();
        use_effect_with(app.generation, move |_| {
            state.set(None);
            let id = bridge.request(
                Request::Findings,
                None,
                Callback::from(move |r: Reply| match r.resp {
                    Response::Findings { findings, .. } => state.set(Some(Ok(findings))),
                    Response::Error { message } => state.set(Some(Err(message))),
                    _ => {}
                }),
            );
            move || bridge.forget(id)
        });
    }
    let body = match &*state {
        None => html! { <p class="muted">{ "analysing…" }</p> },
        Some(Err(e)) => html! { <p class="err">{ e }</p> },
        Some(Ok(v)) if v.is_empty() => html! {
            <p data-testid="no-findings">{ "Nothing stands out: no object or class retains 10% of the reachable heap, \
                no large group of blocked goroutines, no garbage or finalizer backlog." }</p>
        },
        Some(Ok(v)) => html! { <>{ for v.iter().enumerate().map(|(i, f)| finding(i, f)) }</> },
    };
    html! {
        <div class="leaks">
            <div class="panel">
                <h2>{ "Leak suspects" }</h2>
                <p class="muted">{ "Ranked by impact: objects or classes that retain a large share of the reachable heap \
                    (reported where the retained size stops flowing into one child), large groups of goroutines blocked \
                    where only another goroutine can wake them, garbage in the dump, finalizers waiting to run." }</p>
            </div>
            { body }
        </div>
    }
}
