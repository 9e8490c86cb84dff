//! The Export view: whole tables as CSV or JSON, the summary as JSON, the shareable report
//! and the pprof profile. The worker writes each file and names it; the browser saves it.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlSelectElement};
use yew::prelude::*;

use super::bridge::{Bridge, Reply};
use super::ctx::AppCtx;
use super::fmt;
use crate::engine::protocol::*;

/// A file the worker wrote and the browser saved: its name, what it holds (" (12 rows)"),
/// and the object URL for "save again".
#[derive(Clone, PartialEq)]
struct Saved {
    name: String,
    detail: String,
    url: String,
}

/// What a file-bearing response says about its file (the Blob travels beside it).
fn file_of(r: &Response) -> Option<(&str, String)> {
    match r {
        Response::Export { file_name, rows } => {
            Some((file_name, format!(" ({} rows)", fmt::count(*rows))))
        }
        Response::Report { file_name } => Some((file_name, String::new())),
        Response::Pprof { file_name, bytes } => {
            Some((file_name, format!(" ({})", fmt::bytes(*bytes))))
        }
        _ => None,
    }
}

/// Asks the engine for a file and saves the Blob that comes back; `status` gets the saved
/// file or the reason there is none. `busy` is set while the engine works.
fn request_file(
    bridge: &Rc<Bridge>,
    req: Request,
    busy: &UseStateHandle<bool>,
    status: &UseStateHandle<Option<Result<Saved, String>>>,
) {
    busy.set(true);
    let (busy, status) = (busy.clone(), status.clone());
    bridge.request(
        req,
        None,
        Callback::from(move |r: Reply| {
            busy.set(false);
            status.set(Some(match (file_of(&r.resp), &r.blob) {
                (Some((name, detail)), Some(blob)) => match save_blob(blob, name) {
                    Some(url) => Ok(Saved {
                        name: name.to_string(),
                        detail,
                        url,
                    }),
                    None => Err("the browser refused the download".to_string()),
                },
                _ => Err(match r.resp {
                    Response::Error { message } => message,
                    _ => "no file came back".to_string(),
                }),
            }));
        }),
    );
}

/// "Saved NAME (detail). save again", `extra` after it, or the error.
fn saved_status(status: &Option<Result<Saved, String>>, testid: &'static str, extra: Html) -> Html {
    match status {
        None => html! {},
        Some(Ok(f)) => html! {
            <p data-testid={testid}>{ format!("Saved {}{}. ", f.name, f.detail) }
                <a href={f.url.clone()} download={f.name.clone()}>{ "save again" }</a>
                { extra }
            </p>
        },
        Some(Err(e)) => html! { <p class="err">{ e }</p> },
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
    let status = use_state(|| None::<Result<Saved, String>>);
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
            let req = Request::Export {
                sort: default_sort(&table),
                table,
                filter: String::new(),
                format,
            };
            request_file(&bridge, req, &busy, &status);
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
                    let detail = String::new();
                    status.set(Some(Ok(Saved { name, detail, url })));
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
            { saved_status(&status, "export-status", html! {}) }
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
    let status = use_state(|| None::<Result<Saved, String>>);
    let onclick = {
        let (busy, status) = (busy.clone(), status.clone());
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| request_file(&bridge, Request::Pprof, &busy, &status))
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
            { saved_status(&status, "pprof-status", html! {}) }
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
    let status = use_state(|| None::<Result<Saved, String>>);
    // Whether the key of the last report is kept in localStorage.
    let stored = use_state(|| true);
    let onclick = {
        let (busy, status, stored) = (busy.clone(), status.clone(), stored.clone());
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| match report_key() {
            Ok((key, kept)) => {
                stored.set(kept);
                request_file(&bridge, Request::Report { key }, &busy, &status);
            }
            Err(e) => status.set(Some(Err(e))),
        })
    };
    let no_storage = if *stored {
        html! {}
    } else {
        html! { <span class="muted">{ " (no localStorage: this report's pseudonyms match no other)" }</span> }
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
            { saved_status(&status, "report-status", no_storage) }
        </>
    }
}
