//! Compare dumps: add one or two more dumps of the same process; the worker analyses them
//! (keeping only their analyses, not the files) and runs the core's diff: class growth
//! across the dumps and memlab-style leak candidates (new in B, still alive in C).

use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{parse_addr, Route, ViewKind};
use crate::engine::protocol::*;

const SHOW: usize = 100;

fn signed_bytes(d: i128) -> String {
    if d >= 0 {
        format!("+{}", fmt::bytes(d as u64))
    } else {
        format!("−{}", fmt::bytes(d.unsigned_abs() as u64))
    }
}

#[function_component]
pub fn CompareView() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let dumps = use_state(Vec::<CompareDump>::new);
    let diff = use_state(|| None::<DiffView>);
    let busy = use_state(|| None::<(String, Option<Progress>)>);
    let error = use_state(|| None::<String>);
    let shown = use_state(|| SHOW);

    let on_diff = {
        let (dumps, diff, busy, error) = (dumps.clone(), diff.clone(), busy.clone(), error.clone());
        Callback::from(move |r: Reply| match r.resp {
            Response::Diff(v) => {
                busy.set(None);
                dumps.set(v.dumps.clone());
                diff.set(Some(*v));
            }
            Response::Compare { dumps: d } => {
                busy.set(None);
                dumps.set(d);
                diff.set(None);
            }
            Response::Error { message } | Response::LoadFailed { message } => {
                busy.set(None);
                error.set(Some(message));
            }
            _ => {}
        })
    };
    let on_change = {
        let (dumps, diff, busy, error) = (dumps.clone(), diff.clone(), busy.clone(), error.clone());
        let bridge = app.bridge.clone();
        let on_diff = on_diff.clone();
        Callback::from(move |r: Reply| match r.resp {
            Response::Progress(p) => {
                let name = (*busy).clone().map(|b| b.0).unwrap_or_default();
                busy.set(Some((name, Some(p))));
            }
            Response::Compare { dumps: d } => {
                let more = d.len() > 1;
                dumps.set(d);
                diff.set(None);
                if more {
                    busy.set(Some(("diff".into(), None)));
                    bridge.request(Request::Diff, None, on_diff.clone());
                } else {
                    busy.set(None);
                }
            }
            Response::Error { message } | Response::LoadFailed { message } => {
                busy.set(None);
                error.set(Some(message));
            }
            _ => {}
        })
    };
    {
        let bridge = app.bridge.clone();
        let on_diff = on_diff.clone();
        let busy = busy.clone();
        use_effect_with(app.generation, move |_| {
            busy.set(Some(("diff".into(), None)));
            let id = bridge.request(Request::Diff, None, on_diff);
            move || bridge.forget(id)
        });
    }
    let add = {
        let bridge = app.bridge.clone();
        let (busy, error) = (busy.clone(), error.clone());
        let on_change = on_change.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let file: Option<File> = input.files().and_then(|f| f.get(0));
            input.set_value("");
            if let Some(f) = file {
                error.set(None);
                busy.set(Some((f.name(), None)));
                bridge.request(
                    Request::LoadCompare { name: f.name() },
                    Some(f.as_ref()),
                    on_change.clone(),
                );
            }
        })
    };
    let remove = |index: usize| {
        let bridge = app.bridge.clone();
        let on_change = on_change.clone();
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            busy.set(Some(("diff".into(), None)));
            bridge.request(
                Request::RemoveCompare {
                    index: index as u32,
                },
                None,
                on_change.clone(),
            );
        })
    };
    let last_is_current = dumps.last().is_some_and(|d| d.current);
    let can_add = dumps.len() < 3 && busy.is_none();
    html! {
        <div class="compare">
            <section class="panel">
                <h2>{ "Compare dumps" }</h2>
                <p class="muted">{ "Add one or two more dumps of the same process, taken before or after this one. \
                    They are put in time order by MemStats.LastGC. An object at the same address with the same size \
                    in two dumps is taken to be the same object (Go does not move objects)." }</p>
                <table class="kv" data-testid="compare-dumps">
                    <tr><th>{ "#" }</th><th>{ "dump" }</th><th class="num">{ "objects" }</th><th class="num">{ "bytes" }</th><th></th></tr>
                    { for dumps.iter().enumerate().map(|(i, d)| html! {
                        <tr>
                            <td>{ i + 1 }</td>
                            <td class="mono">{ &d.name }{ if d.current { " (open)" } else { "" } }</td>
                            <td class="num">{ fmt::count(d.objects) }</td>
                            <td class="num">{ fmt::bytes(d.bytes) }</td>
                            <td>if !d.current && busy.is_none() {
                                <button class="link small" onclick={remove(i)}>{ "remove" }</button>
                            }</td>
                        </tr>
                    }) }
                </table>
                <div class="row">
                    if can_add {
                        <label class="button">
                            { "Add a dump to compare…" }
                            <input type="file" data-testid="compare-input" onchange={add} />
                        </label>
                    }
                    if let Some((name, p)) = &*busy {
                        <span class="muted" data-testid="compare-busy">
                            { match p {
                                Some(p) => format!("analysing {name}: {} {:.0}%", p.phase, p.fraction * 100.0),
                                None if name == "diff" => "comparing…".to_string(),
                                None => format!("analysing {name}…"),
                            } }
                        </span>
                    }
                </div>
                if let Some(e) = &*error { <p class="err">{ e }</p> }
            </section>
            if let Some(d) = &*diff {
                { for d.growth.warnings.iter().map(|w| html! { <div class="warning" data-testid="diff-warning">{ w }</div> }) }
                <TimelineChart diff={d.clone()} />
                <section class="panel" data-testid="leak-candidates">
                    <h2>{ format!("Leak candidates: {} objects, {}", fmt::count(d.growth.candidate_objects), fmt::bytes(d.growth.candidate_bytes)) }</h2>
                    <p class="muted">{ if d.dumps.len() >= 3 {
                        "Objects new in the second dump that are still alive in the third."
                    } else {
                        "Objects in the second dump that were not in the first."
                    } }</p>
                    <table class="kv">
                        <tr><th>{ "class" }</th><th class="num">{ "objects" }</th><th class="num">{ "bytes" }</th><th>{ "allocated at" }</th><th>{ "example" }</th></tr>
                        { for d.growth.candidates.iter().take(50).map(|c| {
                            let example = parse_addr(&c.example).filter(|_| last_is_current);
                            html! {
                                <tr data-testid="candidate-row">
                                    <td class="cls" title={c.class.clone()}>{ &c.class }
                                        if !c.retainer_path.is_empty() {
                                            <details><summary>{ "retainer path" }</summary>
                                                <ol class="chain mono">{ for c.retainer_path.iter().map(|l| html! { <li>{ l }</li> }) }</ol>
                                            </details>
                                        }
                                    </td>
                                    <td class="num">{ fmt::count(c.objects) }</td>
                                    <td class="num">{ fmt::bytes(c.bytes) }</td>
                                    <td class="mono">{ c.alloc_site.clone().unwrap_or_default() }</td>
                                    <td class="mono">
                                        if let Some(a) = example {
                                            <a href={Route::object(ViewKind::Inspector, a).to_hash()}>{ &c.example }</a>
                                        } else {
                                            { &c.example }
                                        }
                                    </td>
                                </tr>
                            }
                        }) }
                    </table>
                </section>
                <section class="panel" data-testid="class-growth">
                    <h2>{ format!("Class growth ({} classes)", fmt::count(d.growth.total_classes)) }</h2>
                    <p class="muted">{ "Ranked by growth in bytes from the first dump to the last." }</p>
                    <table class="kv growth">
                        <tr>
                            <th>{ "class" }</th>
                            { for d.dumps.iter().enumerate().map(|(i, _)| html! { <th class="num">{ format!("objects #{}", i + 1) }</th> }) }
                            { for d.dumps.iter().enumerate().map(|(i, _)| html! { <th class="num">{ format!("bytes #{}", i + 1) }</th> }) }
                            <th class="num">{ "growth" }</th>
                        </tr>
                        { for d.growth.classes.iter().take(*shown).map(|g| {
                            let first = g.bytes.first().copied().unwrap_or(0) as i128;
                            let last = g.bytes.last().copied().unwrap_or(0) as i128;
                            html! {
                                <tr data-testid="growth-row">
                                    <td class="cls" title={g.class.clone()}>{ &g.class }</td>
                                    { for g.counts.iter().map(|c| html! { <td class="num">{ fmt::count(*c) }</td> }) }
                                    { for g.bytes.iter().map(|b| html! { <td class="num">{ fmt::bytes(*b) }</td> }) }
                                    <td class="num">{ signed_bytes(last - first) }</td>
                                </tr>
                            }
                        }) }
                    </table>
                    if *shown < d.growth.classes.len() {
                        <button onclick={{ let shown = shown.clone(); Callback::from(move |_: MouseEvent| shown.set(*shown + SHOW)) }}>
                            { format!("show more ({} of {})", *shown, d.growth.classes.len()) }
                        </button>
                    }
                    if (d.growth.classes.len() as u64) < d.growth.total_classes {
                        <p class="muted">{ format!("The {} classes that grew the most are listed.", d.growth.classes.len()) }</p>
                    }
                </section>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ChartProps {
    diff: DiffView,
}

/// In-use bytes per dump, in time order: the whole heap and the classes that grew in every
/// dump (`report::timeline`'s flag; with none flagged, the three that grew the most).
#[function_component]
fn TimelineChart(p: &ChartProps) -> Html {
    use crate::report::timeline::growing_since;
    let d = &p.diff;
    let n = d.dumps.len();
    let flagged: Vec<&GrowthEntry> = d
        .growth
        .classes
        .iter()
        .filter(|g| growing_since(&g.bytes).is_some())
        .collect();
    let chart = crate::report::chart::LineChart::new(
        (760.0, 200.0),
        (70.0, 16.0, 10.0, 26.0),
        d.dumps.iter().map(|x| x.bytes).collect(),
        d.growth.classes.iter().map(|g| {
            (
                g.class.as_str(),
                g.bytes.as_slice(),
                growing_since(&g.bytes).is_some(),
            )
        }),
    );
    let (w, h) = (chart.w, chart.h);
    let lines = &chart.lines;
    let (x1, x2, label_x) = chart.grid_x();
    let grid = chart.grid().map(|(v, yy)| {
        html! {
            <g>
                <line class="grid" x1={x1.to_string()} x2={x2.to_string()}
                    y1={format!("{yy:.1}")} y2={format!("{yy:.1}")} />
                <text x={label_x.to_string()} y={format!("{:.1}", yy + 4.0)} text-anchor="end">{ fmt::bytes(v) }</text>
            </g>
        }
    });
    let labels = (0..n).map(|i| {
        html! { <text x={format!("{:.1}", chart.x(i))} y={(h - 8.0).to_string()} text-anchor={chart.anchor(i)}>{ format!("#{}", i + 1) }</text> }
    });
    let series = lines.iter().enumerate().map(|(k, (name, v))| {
        html! {
            <g class={format!("line c{k}")} data-testid="timeline-line">
                <title>{ name }</title>
                <polyline points={chart.points(v)} />
                { for v.iter().enumerate().map(|(i, &b)| html! {
                    <circle cx={format!("{:.1}", chart.x(i))} cy={format!("{:.1}", chart.y(b))} r="3">
                        <title>{ format!("{name}: {} in dump #{}", fmt::bytes(b), i + 1) }</title>
                    </circle>
                }) }
            </g>
        }
    });
    html! {
        <section class="panel" data-testid="timeline">
            <h2>{ "Timeline" }</h2>
            <p class="muted">{ "In-use bytes in each dump, in time order. A class is flagged when its bytes rose in every dump \
                over at least three, up to the newest." }</p>
            <svg class="timeline" viewBox={format!("0 0 {w} {h}")} data-testid="timeline-chart">
                { for grid }{ for labels }{ for series }
            </svg>
            <div class="legend">
                { for lines.iter().enumerate().map(|(k, (name, _))| html! {
                    <span class={format!("line c{k}")}><span class="sw"></span><span class="mono">{ name }</span></span>
                }) }
            </div>
            <p data-testid="timeline-flagged">
                { if flagged.is_empty() {
                    if n >= 3 { "No class grew in every dump.".to_string() } else { "Growth is flagged from three dumps on.".to_string() }
                } else {
                    format!("Growing in every dump: {}", flagged.iter().map(|g| g.class.as_str()).collect::<Vec<_>>().join(", "))
                } }
            </p>
        </section>
    }
}
