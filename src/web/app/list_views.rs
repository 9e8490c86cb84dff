//! The list views: every object, the classes and the lost objects, each a
//! [`VirtualTable`] under a heading, and the [`FilterBox`] they (and the goroutines view)
//! keep their filter in.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::ctx::AppCtx;
use super::fmt;
use super::route::Route;
use super::virtual_table::VirtualTable;
use crate::engine::protocol::*;

#[derive(Properties, PartialEq)]
pub struct FilterProps {
    pub value: String,
    pub placeholder: AttrValue,
}

/// A filter box that keeps its value in the URL hash (applied on Enter or blur).
#[function_component]
pub fn FilterBox(props: &FilterProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let onchange = {
        let view = app.route.view;
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let r = Route::with_filter(view, input.value().trim());
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_hash(&r.to_hash());
            }
        })
    };
    html! {
        <input class="filter" type="search" value={props.value.clone()} placeholder={props.placeholder.clone()}
            aria-label="filter" data-testid="filter-input" spellcheck="false" {onchange} />
    }
}

#[derive(Properties, PartialEq)]
pub struct FilteredProps {
    pub filter: String,
}

#[function_component]
pub fn ObjectsView(props: &FilteredProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let s = &app.loaded.summary;
    // The table's row count and the filter it is for: a filter shows "N of ALL".
    let shown = use_state(|| None::<(String, Option<u64>)>);
    let on_total = {
        let shown = shown.clone();
        Callback::from(move |t: (String, Option<u64>)| shown.set(Some(t)))
    };
    let heading = objects_heading(s.objects, &props.filter, (*shown).as_ref());
    html! {
        <div class="panel fill">
            <div class="row">
                <h2 data-testid="objects-heading">{ heading }</h2>
                <span class="spacer-x"></span>
                <FilterBox value={props.filter.clone()} placeholder="filter: class text, =exact class, or 0x address" />
            </div>
            <p class="muted">{ "Largest retained size first: the objects whose release would free the most. Click a header to sort." }</p>
            <VirtualTable table={TableKind::Objects} filter={props.filter.clone()} row_testid="object-row" {on_total} />
        </div>
    }
}

/// "Objects (ALL)", or with a filter "Objects (N of ALL)" once the table has counted the
/// filter's rows ("… of ALL" until then).
fn objects_heading(all: u64, filter: &str, shown: Option<&(String, Option<u64>)>) -> String {
    if filter.trim().is_empty() {
        return format!("Objects ({})", fmt::count(all));
    }
    let kept = match shown {
        Some((f, Some(n))) if f == filter => fmt::count(*n),
        _ => "…".to_string(),
    };
    format!("Objects ({kept} of {})", fmt::count(all))
}

#[function_component]
pub fn ClassesView(props: &FilteredProps) -> Html {
    html! {
        <div class="panel fill">
            <div class="row">
                <h2>{ "Classes" }</h2>
                <span class="spacer-x"></span>
                <FilterBox value={props.filter.clone()} placeholder="filter class names" />
            </div>
            <p class="muted">{ "Objects grouped by their best name: the malloc header's type (Go 1.22+), an interface's \
                type, the executable's types (Add the executable…), the allocation site (sampled objects), or else \
                their size and shape." }</p>
            <p class="muted" data-testid="share-note">{ crate::report::SHARE_NOTE }</p>
            <VirtualTable table={TableKind::Classes} filter={props.filter.clone()} row_testid="class-row" />
        </div>
    }
}

#[function_component]
pub fn LostView() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let s = &app.loaded.summary;
    html! {
        <div class="panel fill">
            <h2>{ "Lost objects" }</h2>
            <p data-testid="lost-summary">
                { format!("{} objects ({}) are in the dump but unreachable from every root, in {} structures \
                    (objects nothing else points at).",
                    fmt::count(s.unreachable_objects), fmt::bytes(s.unreachable_bytes), fmt::count(s.lost_heads)) }
            </p>
            if let Some(advice) = &s.unreachable_advice {
                <p class="muted" data-testid="lost-advice">{ advice }</p>
            }
            <VirtualTable table={TableKind::Lost} row_testid="lost-row" />
        </div>
    }
}
