//! The Web Worker entry: owns the [`Session`], reads the dump from the `File` in 4 MiB
//! slices with `FileReaderSync` (the worker may block; the UI thread never does), and
//! answers the UI's requests. A panic is posted to the UI as `Crashed` before the worker
//! dies; the UI then restarts it.

use std::cell::RefCell;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

use crate::report::redact::ReportKey;
use crate::web::protocol::*;
use crate::web::session::{self, ByteSource, Session};
use crate::web::wire;

/// A `File` or `Blob` read slice by slice; the bytes are never all in memory.
struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
}

impl ByteSource for BlobSource {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let size = self.size();
        let start = offset.min(size);
        let end = start.saturating_add(len as u64).min(size);
        let slice = self
            .blob
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(js_message)?;
        let buf = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(js_message)?;
        Ok(Uint8Array::new(&buf).to_vec())
    }

    fn size(&self) -> u64 {
        self.blob.size() as u64
    }
}

#[derive(Default)]
struct State {
    session: Option<Session>,
    source: Option<BlobSource>,
    file_name: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn js_message(v: JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

fn post(id: u32, resp: Response, blob: Option<&Blob>) {
    let msg = wire::encode(&ResponseEnvelope { id, resp }, blob).unwrap_or_else(|e| {
        let resp = Response::Error {
            message: format!("cannot encode the response: {e}"),
        };
        let json = serde_json::to_string(&ResponseEnvelope { id, resp }).unwrap_or_default();
        wire::message(&json, None)
    });
    let _ = scope().post_message(&msg);
}

/// Installs the panic hook and the message handler, then tells the UI it is ready.
pub fn run() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("dumpscope worker panicked: {message}").into());
        post(0, Response::Crashed { message }, None);
    }));
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        match wire::decode::<RequestEnvelope>(&e.data()) {
            Ok((env, blob)) => handle(env, blob),
            Err(e) => post(
                0,
                Response::Error {
                    message: format!("bad request: {e}"),
                },
                None,
            ),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(0, Response::Ready, None);
}

fn handle(env: RequestEnvelope, blob: Option<Blob>) {
    let id = env.id;
    match env.req {
        Request::Load { name } => match blob {
            Some(b) => load(id, name, b),
            None => post(
                id,
                Response::LoadFailed {
                    message: "no file came with the request".into(),
                },
                None,
            ),
        },
        Request::LoadCompare { name } => match blob {
            Some(b) => load_compare(id, name, b),
            None => post(
                id,
                Response::LoadFailed {
                    message: "no file came with the request".into(),
                },
                None,
            ),
        },
        Request::LoadUrl { url } => {
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_blob(&url).await {
                    Ok(b) => {
                        let name = url.rsplit('/').next().unwrap_or(&url).to_string();
                        load(id, name, b)
                    }
                    Err(message) => post(
                        id,
                        Response::LoadFailed {
                            message: format!("{url}: {message}"),
                        },
                        None,
                    ),
                }
            });
        }
        Request::Export {
            table,
            sort,
            filter,
            format,
        } => {
            let result = STATE.with(|s| {
                let mut s = s.borrow_mut();
                let stem = table.file_stem();
                let base = s
                    .file_name
                    .trim_end_matches(".dump")
                    .replace(['/', '\\'], "_");
                let session = s.session.as_mut().ok_or("no dump is loaded")?;
                let (text, rows) = session.export(&table, &sort, &filter, format)?;
                let (ext, mime) = match format {
                    ExportFormat::Csv => ("csv", "text/csv"),
                    ExportFormat::Json => ("json", "application/json"),
                };
                Ok::<_, String>((format!("{base}-{stem}.{ext}"), mime, text, rows))
            });
            match result {
                Ok((file_name, mime, text, rows)) => {
                    let parts = Array::of1(&JsValue::from_str(&text));
                    drop(text);
                    let opts = BlobPropertyBag::new();
                    opts.set_type(mime);
                    match Blob::new_with_str_sequence_and_options(&parts, &opts) {
                        Ok(b) => post(id, Response::Export { file_name, rows }, Some(&b)),
                        Err(e) => post(
                            id,
                            Response::Error {
                                message: js_message(e),
                            },
                            None,
                        ),
                    }
                }
                Err(message) => post(id, Response::Error { message }, None),
            }
        }
        Request::Pprof => {
            let result = STATE.with(|s| {
                let s = s.borrow();
                let session = s.session.as_ref().ok_or("no dump is loaded")?;
                let base = s
                    .file_name
                    .trim_end_matches(".dump")
                    .replace(['/', '\\'], "_");
                let profile = session.pprof();
                let parts = Array::of1(&Uint8Array::from(&profile[..]));
                let opts = BlobPropertyBag::new();
                opts.set_type("application/octet-stream");
                let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
                    .map_err(js_message)?;
                Ok::<_, String>((format!("{base}-retained.pb"), profile.len() as u64, blob))
            });
            match result {
                Ok((file_name, bytes, b)) => {
                    post(id, Response::Pprof { file_name, bytes }, Some(&b))
                }
                Err(message) => post(id, Response::Error { message }, None),
            }
        }
        Request::Report { key } => {
            let result = STATE.with(|s| {
                let s = s.borrow();
                let key = ReportKey::parse(&key)?;
                let session = s.session.as_ref().ok_or("no dump is loaded")?;
                let base = s
                    .file_name
                    .trim_end_matches(".dump")
                    .replace(['/', '\\'], "_");
                let html = crate::report::html::render(&session.report(&key));
                Ok::<_, String>((format!("{base}-report.html"), html))
            });
            match result
                .and_then(|(file_name, html)| text_blob(&html, "text/html").map(|b| (file_name, b)))
            {
                Ok((file_name, b)) => post(id, Response::Report { file_name }, Some(&b)),
                Err(message) => post(id, Response::Error { message }, None),
            }
        }
        req => {
            let resp = STATE.with(|s| {
                let mut s = s.borrow_mut();
                let State {
                    session, source, ..
                } = &mut *s;
                match (session.as_mut(), source.as_ref()) {
                    (Some(session), Some(source)) => session.handle(&req, source),
                    _ => Response::Error {
                        message: "no dump is loaded".into(),
                    },
                }
            });
            post(id, resp, None);
        }
    }
}

/// Text as a Blob of type `mime`.
fn text_blob(text: &str, mime: &str) -> Result<Blob, String> {
    let parts = Array::of1(&JsValue::from_str(text));
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(js_message)
}

async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let resp = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(js_message)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(js_message)?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let blob = JsFuture::from(resp.blob().map_err(js_message)?)
        .await
        .map_err(js_message)?;
    blob.dyn_into::<Blob>().map_err(js_message)
}

/// wasm32 linear memory can grow to 4 GiB; the analysis may use what is not in use yet.
const WASM32_MAX_MEMORY: u64 = 4 << 30;

/// Bytes of linear memory in use now (it never shrinks; freed memory is reused inside it).
fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map_or(0, |b| u64::from(b.byte_length()))
        })
        .unwrap_or(0)
}

/// What a new analysis may use: the 4 GiB wasm32 limit less what this worker already holds.
fn memory_limit() -> u64 {
    WASM32_MAX_MEMORY.saturating_sub(memory_bytes())
}

/// Progress is posted at most this often (milliseconds), plus at every phase change.
const PROGRESS_EVERY_MS: f64 = 60.0;

/// Reads and analyses a Blob, posting progress under the request's id.
fn analyse_blob(
    id: u32,
    blob: Blob,
) -> Result<(BlobSource, crate::analysis::Analysis, f64, f64), String> {
    let reader = FileReaderSync::new().map_err(js_message)?;
    let source = BlobSource { blob, reader };
    let now = js_sys::Date::now;
    let mut last_post = f64::NEG_INFINITY;
    let mut last_phase = String::new();
    let mut report = |p: Progress| {
        let t = now();
        if p.phase != last_phase || t - last_post >= PROGRESS_EVERY_MS {
            last_post = t;
            last_phase.clone_from(&p.phase);
            post(id, Response::Progress(p), None);
        }
    };
    let (a, decode_ms, analysis_ms) =
        session::load_within(&source, &now, &mut report, Some(memory_limit()))
            .map_err(|e| e.to_string())?;
    Ok((source, a, decode_ms, analysis_ms))
}

fn load(id: u32, name: String, blob: Blob) {
    // Free the previous dump before reading the next one.
    STATE.with(|s| *s.borrow_mut() = State::default());
    match analyse_blob(id, blob) {
        Ok((source, analysis, decode_ms, analysis_ms)) => {
            let file_size = source.size();
            post(
                id,
                Response::Progress(Progress {
                    phase: "classes".into(),
                    fraction: 0.99,
                    bytes_read: file_size,
                    total_bytes: file_size,
                    objects: analysis.heap.objects.len() as u64,
                    elapsed_ms: decode_ms + analysis_ms,
                }),
                None,
            );
            let session = Session::new(name.clone(), analysis);
            let summary = session.summary();
            STATE.with(|s| {
                *s.borrow_mut() = State {
                    session: Some(session),
                    source: Some(source),
                    file_name: name.clone(),
                }
            });
            post(
                id,
                Response::Loaded(Box::new(Loaded {
                    file_name: name,
                    file_size,
                    decode_ms,
                    analysis_ms,
                    wasm_memory_bytes: memory_bytes(),
                    summary,
                })),
                None,
            );
        }
        Err(message) => post(
            id,
            Response::LoadFailed {
                message: format!("{name}: {message}"),
            },
            None,
        ),
    }
}

/// Analyses another dump of the same process and keeps it (not its file) for the diff.
fn load_compare(id: u32, name: String, blob: Blob) {
    let open = STATE.with(|s| s.borrow().session.is_some());
    if !open {
        post(
            id,
            Response::LoadFailed {
                message: "open a dump before adding one to compare".into(),
            },
            None,
        );
        return;
    }
    match analyse_blob(id, blob) {
        Ok((_, analysis, _, _)) => {
            let resp = STATE.with(|s| match s.borrow_mut().session.as_mut() {
                Some(session) => session.add_baseline(name.clone(), analysis),
                None => Response::LoadFailed {
                    message: "the dump was closed".into(),
                },
            });
            post(id, resp, None);
        }
        Err(message) => post(
            id,
            Response::LoadFailed {
                message: format!("{name}: {message}"),
            },
            None,
        ),
    }
}
