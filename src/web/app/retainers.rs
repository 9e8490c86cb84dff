//! Retainers: how an object is kept alive. Paths from labelled GC roots down to the
//! object, shortest first; "ignore" drops an object as a retainer to show the next way in.

use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::inspector::AddressBox;
use super::route::{Route, ViewKind};
use crate::engine::protocol::*;

const MAX_PATHS: u32 = 10;

#[derive(Properties, PartialEq)]
pub struct RetainersProps {
    pub addr: Option<u64>,
    pub ignore: Vec<u64>,
}

fn go(route: Route) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route.to_hash());
    }
}

#[function_component]
pub fn RetainersPanel(props: &RetainersProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let view = use_state(|| None::<Result<crate::engine::protocol::RetainersView, String>>);
    {
        let view = view.clone();
        let bridge = app.bridge.clone();
        use_effect_with(
            (props.addr, props.ignore.clone(), app.generation),
            move |(addr, ignore, _)| {
                view.set(None);
                let id = addr.map(|addr| {
                    bridge.request(
                        Request::Retainers {
                            addr,
                            max_paths: MAX_PATHS,
                            excluded: ignore.clone(),
                        },
                        None,
                        Callback::from(move |r: Reply| match r.resp {
                            Response::Retainers(v) => view.set(Some(Ok(v))),
                            Response::Error { message } => view.set(Some(Err(message))),
                            _ => {}
                        }),
                    )
                });
                move || {
                    if let Some(id) = id {
                        bridge.forget(id)
                    }
                }
            },
        );
    }
    let Some(addr) = props.addr else {
        return html! {
            <div class="panel">
                <h2>{ "Retainers" }</h2>
                <p>{ "Choose an object (in any table, follow its address, then “Retainers”) or enter an address:" }</p>
                <AddressBox view={ViewKind::Retainers} />
            </div>
        };
    };
    let v = match &*view {
        None => return html! { <div class="panel"><p class="muted">{ "finding paths…" }</p></div> },
        Some(Err(e)) => {
            return html! {
                <div class="panel"><h2>{ "Retainers" }</h2><p class="err">{ e }</p>
                <AddressBox view={ViewKind::Retainers} /></div>
            }
        }
        Some(Ok(v)) => v,
    };
    let ignore_cb = |x: u64| {
        let mut ignore = props.ignore.clone();
        if !ignore.contains(&x) {
            ignore.push(x);
        }
        Callback::from(move |_: MouseEvent| {
            go(Route {
                view: ViewKind::Retainers,
                object: Some(addr),
                ignore: ignore.clone(),
                ..Route::default()
            })
        })
    };
    let unignore_cb = |x: u64| {
        let ignore: Vec<u64> = props.ignore.iter().copied().filter(|&i| i != x).collect();
        Callback::from(move |_: MouseEvent| {
            go(Route {
                view: ViewKind::Retainers,
                object: Some(addr),
                ignore: ignore.clone(),
                ..Route::default()
            })
        })
    };
    let t = &v.target;
    let paths = v.paths.iter().enumerate().map(|(i, p)| {
        let n = p.objects.len();
        // A long path comes as its two ends; the gap sits between them.
        let gap = (p.elided > 0).then_some(n / 2);
        let total = n as u64 + p.elided;
        let chain = p.objects.iter().enumerate().map(|(k, o)| {
            let is_target = k + 1 == n;
            let indent = ((k.min(30)) * 14).to_string();
            let elision = (gap == Some(k)).then(|| html! {
                <li class="hop muted" data-testid="path-gap">
                    { format!("… {} more objects …", fmt::count(p.elided)) }
                </li>
            });
            html! {
                <>
                { for elision }
                <li class={classes!("hop", is_target.then_some("target"))}>
                    <svg class="spacer" width={indent} height="1"></svg>
                    <span class="arrow">{ if k == 0 { "●" } else { "↳" } }</span>
                    <a class="mono" href={Route::object(ViewKind::Inspector, o.addr).to_hash()}>{ &o.address }</a>
                    <span class="cls" title={o.class.clone()}>{ &o.class }</span>
                    <span class="num muted" title="retained">{ fmt::bytes(o.retained) }</span>
                    if !is_target {
                        <button class="link small" data-testid="ignore-retainer" onclick={ignore_cb(o.addr)}
                            title="find paths that do not go through this object">{ "ignore" }</button>
                    }
                </li>
                </>
            }
        });
        html! {
            <div class="path" data-testid="retainer-path">
                <div class="path-head">{ format!("Path {} · {} object{}", i + 1, total, if total == 1 { "" } else { "s" }) }</div>
                if let Some(f) = &p.fields {
                    <div class="mono path-fields" data-testid="path-fields" title="the path as Go fields">{ f }</div>
                }
                <ul class="roots">
                    { for p.roots.iter().map(|r| html! {
                        <li data-testid="root-label"><span class="badge">{ &r.kind }</span>{ " " }<span class="mono">{ &r.label }</span></li>
                    }) }
                </ul>
                <ol class="chain">{ for chain }</ol>
            </div>
        }
    });
    html! {
        <div class="panel retainers">
            <h2>{ "Retainers of " }<a class="mono" href={Route::object(ViewKind::Inspector, t.addr).to_hash()}>{ &t.address }</a></h2>
            <p><span class="cls">{ &t.class }</span>{ format!(" · {} · retains {}", fmt::bytes(t.shallow), fmt::bytes(t.retained)) }</p>
            if !v.excluded.is_empty() {
                <div class="ignored">
                    { "Ignoring as retainers: " }
                    { for v.excluded.iter().map(|x| html! {
                        <span class="chip mono">{ &x.address }
                            <button class="link small" onclick={unignore_cb(x.addr)} title="stop ignoring">{ "×" }</button>
                        </span>
                    }) }
                </div>
            }
            <div class="retainer-tree" data-testid="retainer-tree">
                if !v.roots.is_empty() {
                    <div class="path">
                        <div class="path-head">{ "Held directly by roots" }</div>
                        <ul class="roots">
                            { for v.roots.iter().map(|r| html! {
                                <li data-testid="root-label"><span class="badge">{ &r.kind }</span>{ " " }<span class="mono">{ &r.label }</span></li>
                            }) }
                        </ul>
                    </div>
                }
                if v.paths.is_empty() {
                    <p class="muted">{ if t.reachable && !v.excluded.is_empty() {
                        "No path avoids the ignored objects."
                    } else {
                        "Unreachable: no path from any root. It is garbage that the next GC frees."
                    } }</p>
                }
                { for paths }
            </div>
        </div>
    }
}
