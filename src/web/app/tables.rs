//! Table views (objects, classes, lost objects) and the export view.

use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::bridge::Reply;
use super::fmt;
use super::route::Route;
use super::table::VirtualTable;
use super::AppCtx;
use crate::web::protocol::*;

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
    html! {
        <div class="panel fill">
            <div class="row">
                <h2>{ format!("Objects ({})", fmt::count(s.objects)) }</h2>
                <span class="spacer-x"></span>
                <FilterBox value={props.filter.clone()} placeholder="filter: class text, =exact class, or 0x address" />
            </div>
            <p class="muted">{ "Largest retained size first: the objects whose release would free the most. Click a header to sort." }</p>
            <VirtualTable table={TableKind::Objects} filter={props.filter.clone()} row_testid="object-row" />
        </div>
    }
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
                type, the allocation site (sampled objects), or else their size and shape." }</p>
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
            <p class="muted">{ "WriteHeapDump does not run a collection first, so this is garbage allocated since the \
                last GC (or left by it), not a leak. Call runtime.GC() before dumping for a live-only dump." }</p>
            <VirtualTable table={TableKind::Lost} row_testid="lost-row" />
        </div>
    }
}

fn save_blob(blob: &web_sys::Blob, file_name: &str) -> Option<String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).ok()?;
    let doc = web_sys::window()?.document()?;
    let a: HtmlAnchorElement = doc.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    Some(url)
}

#[function_component]
pub fn ExportView() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let table = use_node_ref();
    let format = use_node_ref();
    let status = use_state(|| None::<Result<(String, u64, String), String>>);
    let busy = use_state(|| false);
    let onclick = {
        let (table, format, status, busy) =
            (table.clone(), format.clone(), status.clone(), busy.clone());
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| {
            let t = table
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let f = format
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let table = match t.as_str() {
                "lost" => TableKind::Lost,
                "classes" => TableKind::Classes,
                "goroutines" => TableKind::Goroutines,
                _ => TableKind::Objects,
            };
            let format = if f == "json" {
                ExportFormat::Json
            } else {
                ExportFormat::Csv
            };
            busy.set(true);
            let (status, busy) = (status.clone(), busy.clone());
            bridge.request(
                Request::Export {
                    sort: default_sort(&table),
                    table,
                    filter: String::new(),
                    format,
                },
                None,
                Callback::from(move |r: Reply| {
                    busy.set(false);
                    match (r.resp, r.blob) {
                        (Response::Export { file_name, rows }, Some(blob)) => {
                            match save_blob(&blob, &file_name) {
                                Some(url) => status.set(Some(Ok((file_name, rows, url)))),
                                None => {
                                    status.set(Some(Err("the browser refused the download".into())))
                                }
                            }
                        }
                        (Response::Error { message }, _) => status.set(Some(Err(message))),
                        _ => status.set(Some(Err("no file came back".into()))),
                    }
                }),
            );
        })
    };
    let summary_json = {
        let loaded = app.loaded.clone();
        let status = status.clone();
        Callback::from(move |_: MouseEvent| {
            let text = serde_json::to_string_pretty(&loaded.summary).unwrap_or_default();
            let parts = js_sys::Array::of1(&text.into());
            let opts = web_sys::BlobPropertyBag::new();
            opts.set_type("application/json");
            let name = format!(
                "{}-summary.json",
                loaded.file_name.trim_end_matches(".dump")
            );
            if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) {
                if let Some(url) = save_blob(&blob, &name) {
                    status.set(Some(Ok((name, 1, url))));
                }
            }
        })
    };
    html! {
        <div class="panel">
            <h2>{ "Export" }</h2>
            <p class="muted">{ "Whole tables, sorted as in their views, written by the worker and saved by the browser. \
                Nothing is uploaded." }</p>
            <div class="row">
                <label>{ "table " }
                    <select ref={table} data-testid="export-table">
                        <option value="objects" selected=true>{ "objects (by retained size)" }</option>
                        <option value="lost">{ "lost objects" }</option>
                        <option value="classes">{ "classes" }</option>
                        <option value="goroutines">{ "goroutine groups" }</option>
                    </select>
                </label>
                <label>{ "format " }
                    <select ref={format} data-testid="export-format">
                        <option value="csv" selected=true>{ "CSV" }</option>
                        <option value="json">{ "JSON" }</option>
                    </select>
                </label>
                <button data-testid="export-button" disabled={*busy} {onclick}>{ if *busy { "exporting…" } else { "Export" } }</button>
                <button onclick={summary_json}>{ "Summary as JSON" }</button>
            </div>
            { match &*status {
                None => html! {},
                Some(Ok((name, rows, url))) => html! {
                    <p data-testid="export-status">{ format!("Saved {name} ({} rows). ", fmt::count(*rows)) }
                        <a href={url.clone()} download={name.clone()}>{ "save again" }</a></p>
                },
                Some(Err(e)) => html! { <p class="err">{ e }</p> },
            } }
            <ReportPanel />
            <PprofPanel />
        </div>
    }
}

/// "Download pprof": retained memory as a pprof profile (the bytes `dumpscope pprof`
/// writes), for `go tool pprof` and other flame-graph viewers.
#[function_component]
fn PprofPanel() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let busy = use_state(|| false);
    let status = use_state(|| None::<Result<(String, u64, String), String>>);
    let onclick = {
        let (busy, status) = (busy.clone(), status.clone());
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            let (busy, status) = (busy.clone(), status.clone());
            bridge.request(
                Request::Pprof,
                None,
                Callback::from(move |r: Reply| {
                    busy.set(false);
                    status.set(Some(match (r.resp, r.blob) {
                        (Response::Pprof { file_name, bytes }, Some(blob)) => {
                            match save_blob(&blob, &file_name) {
                                Some(url) => Ok((file_name, bytes, url)),
                                None => Err("the browser refused the download".into()),
                            }
                        }
                        (Response::Error { message }, _) => Err(message),
                        _ => Err("no profile came back".into()),
                    }));
                }),
            );
        })
    };
    html! {
        <>
            <h2>{ "Retained memory as pprof" }</h2>
            <p class="muted">{ "A pprof profile whose stacks are dominator chains: each object is a sample, its stack                 its class, the class of what dominates it, and so on up to its root. In a flame graph a frame's                 cumulative bytes are what its objects retain. Open it with " }
                <code>{ "go tool pprof -http=: FILE" }</code>{ ". Class names and root labels only: no contents." }</p>
            <div class="row">
                <button data-testid="pprof-button" disabled={*busy} {onclick}>
                    { if *busy { "writing the profile…" } else { "Download pprof" } }
                </button>
            </div>
            { match &*status {
                None => html! {},
                Some(Ok((name, bytes, url))) => html! {
                    <p data-testid="pprof-status">{ format!("Saved {name} ({}). ", fmt::bytes(*bytes)) }
                        <a href={url.clone()} download={name.clone()}>{ "save again" }</a></p>
                },
                Some(Err(e)) => html! { <p class="err">{ e }</p> },
            } }
        </>
    }
}

/// localStorage item holding this browser's report key (64 hex digits).
const REPORT_KEY_ITEM: &str = "dumpscope.report-key";

/// The key behind a report's address pseudonyms: kept in localStorage (made on first use
/// from `crypto.getRandomValues`) so reports from this browser share pseudonyms. Without
/// storage a key for this report only. The flag says whether the key was stored.
fn report_key() -> Result<(String, bool), String> {
    let w = web_sys::window().ok_or("no window")?;
    let storage = w.local_storage().ok().flatten();
    if let Some(k) = storage
        .as_ref()
        .and_then(|s| s.get_item(REPORT_KEY_ITEM).ok().flatten())
    {
        if crate::report::redact::ReportKey::parse(&k).is_ok() {
            return Ok((k, true));
        }
    }
    let mut bytes = [0u8; 32];
    w.crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| "this browser offers no crypto.getRandomValues")?;
    let k = crate::report::redact::ReportKey::from_bytes(bytes).to_hex();
    let stored = storage.is_some_and(|s| s.set_item(REPORT_KEY_ITEM, &k).is_ok());
    Ok((k, stored))
}

/// "Download report": the worker builds the same redacted HTML report as `dumpscope report`
/// (with the compared dumps, if any) and sends it back as a Blob.
#[function_component]
fn ReportPanel() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let busy = use_state(|| false);
    let status = use_state(|| None::<Result<(String, String, bool), String>>);
    let onclick = {
        let (busy, status) = (busy.clone(), status.clone());
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| {
            let (key, stored) = match report_key() {
                Ok(k) => k,
                Err(e) => return status.set(Some(Err(e))),
            };
            busy.set(true);
            let (busy, status) = (busy.clone(), status.clone());
            bridge.request(
                Request::Report { key },
                None,
                Callback::from(move |r: Reply| {
                    busy.set(false);
                    status.set(Some(match (r.resp, r.blob) {
                        (Response::Report { file_name }, Some(blob)) => {
                            match save_blob(&blob, &file_name) {
                                Some(url) => Ok((file_name, url, stored)),
                                None => Err("the browser refused the download".into()),
                            }
                        }
                        (Response::Error { message }, _) => Err(message),
                        _ => Err("no report came back".into()),
                    }));
                }),
            );
        })
    };
    html! {
        <>
            <h2>{ "Shareable report" }</h2>
            <p class="muted">{ "One HTML file that opens anywhere without a network: summary and MemStats, classes, \
                leak suspects with retainer paths, goroutine groups, and growth and timeline of the dumps in Compare. \
                Redacted: no object contents or strings, addresses replaced by pseudonyms keyed in this browser, \
                only the main package's file names." }</p>
            <div class="row">
                <button data-testid="report-button" disabled={*busy} {onclick}>
                    { if *busy { "writing the report…" } else { "Download report" } }
                </button>
            </div>
            { match &*status {
                None => html! {},
                Some(Ok((name, url, stored))) => html! {
                    <p data-testid="report-status">{ format!("Saved {name}. ") }
                        <a href={url.clone()} download={name.clone()}>{ "save again" }</a>
                        if !stored { <span class="muted">{ " (no localStorage: this report's pseudonyms match no other)" }</span> }
                    </p>
                },
                Some(Err(e)) => html! { <p class="err">{ e }</p> },
            } }
        </>
    }
}
