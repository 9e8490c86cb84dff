//! Goroutines grouped by status, wait reason and stack, largest group first.

use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::list_views::FilterBox;
use crate::analysis::naming::is_runtime_func;
use crate::engine::protocol::*;

const PAGE: u32 = 100;

#[derive(Properties, PartialEq)]
pub struct GoroutinesProps {
    pub filter: String,
}

#[derive(Clone, PartialEq, Default)]
struct Loaded {
    groups: Vec<GroupRow>,
    total: u64,
}

fn fetch(app: &AppCtx, filter: &str, offset: u32, state: UseStateHandle<Option<Loaded>>) -> u32 {
    let before = (*state).clone().unwrap_or_default();
    app.bridge.request(
        Request::Page(PageRequest {
            table: TableKind::Goroutines,
            offset,
            limit: PAGE,
            sort: SortSpec::new("count", true),
            filter: filter.to_string(),
        }),
        None,
        Callback::from(move |r: Reply| {
            if let Response::Page(Page {
                total,
                rows: Rows::Goroutines(v),
                ..
            }) = r.resp
            {
                let mut groups = if offset == 0 {
                    Vec::new()
                } else {
                    before.groups.clone()
                };
                groups.extend(v);
                state.set(Some(Loaded { groups, total }));
            }
        }),
    )
}

#[function_component]
pub fn GoroutinesView(props: &GoroutinesProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let state = use_state(|| None::<Loaded>);
    {
        let state = state.clone();
        let app2 = app.clone();
        use_effect_with(
            (props.filter.clone(), app.generation),
            move |(filter, _)| {
                state.set(None);
                let id = fetch(&app2, filter, 0, state);
                let bridge = app2.bridge.clone();
                move || bridge.forget(id)
            },
        );
    }
    let s = &app.loaded.summary;
    let body = match &*state {
        None => html! { <p class="muted">{ "loading…" }</p> },
        Some(l) => {
            let more = {
                let state = state.clone();
                let app = app.clone();
                let filter = props.filter.clone();
                let offset = l.groups.len() as u32;
                Callback::from(move |_: MouseEvent| {
                    fetch(&app, &filter, offset, state.clone());
                })
            };
            html! {
                <>
                    <p class="muted">{ format!("{} groups", fmt::count(l.total)) }</p>
                    <div class="groups">{ for l.groups.iter().map(group) }</div>
                    if (l.groups.len() as u64) < l.total {
                        <button onclick={more}>{ format!("show more ({} of {})", l.groups.len(), l.total) }</button>
                    }
                </>
            }
        }
    };
    html! {
        <div class="panel">
            <div class="row">
                <h2>{ format!("Goroutines ({})", fmt::count(s.goroutines)) }</h2>
                <span class="spacer-x"></span>
                <FilterBox value={props.filter.clone()} placeholder="filter: function, wait reason, creator" />
            </div>
            { body }
        </div>
    }
}

fn group(g: &GroupRow) -> Html {
    html! {
        <div class={classes!("group", g.looks_leaked.then_some("leaky"))} data-testid="goroutine-group">
            <div class="group-head">
                <span class="count" data-testid="group-count">{ g.count }</span>
                <span class="mono func" data-testid="group-function">{ &g.top_function }</span>
                if !g.wait_reason.is_empty() {
                    <span class="badge">{ &g.wait_reason }</span>
                }
                if g.system { <span class="badge muted">{ "runtime" }</span> }
                if g.looks_leaked { <span class="badge bad" title="many goroutines blocked on synchronisation only another goroutine can end">{ "looks leaked" }</span> }
                <span class="spacer-x"></span>
                if g.stack_retained_bytes > 0 {
                    <span class="muted" title="kept alive only through these goroutines' stacks">
                        { format!("stacks hold {} in {} objects", fmt::bytes(g.stack_retained_bytes), fmt::count(g.stack_retained_objects)) }
                    </span>
                }
            </div>
            if let Some(c) = &g.created_by {
                <div class="muted">{ "created by " }<span class="mono">{ c }</span></div>
            }
            <details>
                <summary>{ format!("stack ({} frames) and ids", g.stack.len()) }</summary>
                <ol class="stack mono">
                    { for g.stack.iter().map(|f| html! {
                        <li class={classes!(is_runtime_func(f).then_some("muted"))}>{ f }</li>
                    }) }
                </ol>
                <p class="muted">{ format!("goroutine ids: {}{}",
                    g.goroutine_ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
                    if (g.goroutine_ids.len() as u64) < g.count { ", …" } else { "" }) }</p>
            </details>
        </div>
    }
}
