//! The Web Worker's glue: reads the dump from the `File` in slices with `FileReaderSync`
//! (the worker may block; the UI thread never does), moves messages between `postMessage`
//! and the [`WorkerState`], and wraps the files it answers with in `Blob`s. Every decision
//! is the session's (`session::state`), tested natively. A panic is posted to the UI as
//! `Crashed` before the worker dies; the UI then restarts it.

use std::cell::RefCell;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

use crate::engine::protocol::*;
use crate::engine::session::{self, ByteSource, FileBody, OutFile, Reply, WorkerState};
use crate::web::wire;

/// A `File` or `Blob` read slice by slice; the bytes are never all in memory.
struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
}

impl BlobSource {
    fn new(blob: Blob) -> Result<BlobSource, String> {
        let reader = FileReaderSync::new().map_err(js_message)?;
        Ok(BlobSource { blob, reader })
    }
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

thread_local! {
    static STATE: RefCell<WorkerState<BlobSource>> = RefCell::new(WorkerState::default());
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
            Some(b) => load(id, name, b, false),
            None => post(id, session::no_file(), None),
        },
        Request::LoadCompare { name } => match blob {
            Some(b) => load(id, name, b, true),
            None => post(id, session::no_file(), None),
        },
        Request::AttachExe { name } => {
            // Read in slices from the File: only what naming needs enters wasm memory.
            let resp = match blob.map(BlobSource::new) {
                Some(Ok(src)) => {
                    STATE.with(|s| s.borrow_mut().attach_exe_from(&name, &src, &memory_bytes))
                }
                Some(Err(e)) => {
                    STATE.with(|s| s.borrow_mut().attach_exe(&name, Err(e), &memory_bytes))
                }
                None => STATE.with(|s| {
                    s.borrow_mut().attach_exe(
                        &name,
                        Err("no file came with the request".into()),
                        &memory_bytes,
                    )
                }),
            };
            post(id, resp, None);
        }
        Request::LoadUrl { url } => {
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_blob(&url).await {
                    Ok(b) => load(id, session::url_file_name(&url), b, false),
                    Err(message) => post(id, session::load_failed(&url, &message), None),
                }
            });
        }
        req => {
            let reply = STATE.with(|s| s.borrow_mut().answer(&req));
            send(id, reply);
        }
    }
}

/// Posts a reply, with its file as a Blob.
fn send(id: u32, reply: Reply) {
    match reply.file {
        None => post(id, reply.resp, None),
        Some(file) => match file_blob(file) {
            Ok(b) => post(id, reply.resp, Some(&b)),
            Err(message) => post(id, Response::Error { message }, None),
        },
    }
}

/// A file as a Blob of its MIME type (the Rust copy is freed before the Blob is made).
fn file_blob(file: OutFile) -> Result<Blob, String> {
    let opts = BlobPropertyBag::new();
    opts.set_type(file.mime);
    match file.body {
        FileBody::Text(text) => {
            let parts = Array::of1(&JsValue::from_str(&text));
            drop(text);
            Blob::new_with_str_sequence_and_options(&parts, &opts)
        }
        FileBody::Bytes(bytes) => {
            let parts = Array::of1(&Uint8Array::from(&bytes[..]));
            drop(bytes);
            Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        }
    }
    .map_err(js_message)
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

/// Opens the dump in `blob`, or adds it to the comparison, posting progress under the
/// request's id.
fn load(id: u32, name: String, blob: Blob, compare: bool) {
    let source = BlobSource::new(blob);
    let now = js_sys::Date::now;
    let mut progress = |p: Progress| post(id, Response::Progress(p), None);
    let resp = STATE.with(|s| {
        let mut s = s.borrow_mut();
        if compare {
            s.compare(name, source, &now, &mut progress, &memory_bytes)
        } else {
            s.open(name, source, &now, &mut progress, &memory_bytes)
        }
    });
    post(id, resp, None);
}
