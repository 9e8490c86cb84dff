//! The Web Worker's glue: reads the dump from the `File` in slices with `FileReaderSync`
//! (the worker may block; the UI thread never does), moves messages between `postMessage`
//! and the [`WorkerState`], and wraps the files it answers with in `Blob`s. Every decision
//! is the session's (`session::state`), tested natively. A panic is posted to the UI as
//! `Crashed` before the worker dies; the UI then restarts it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent,
    ReadableStreamDefaultReader, ReadableStreamReadResult,
};

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
    /// Whether a load is reading its file (between its awaits other messages arrive).
    static LOADING: Cell<bool> = const { Cell::new(false) };
    /// Requests that arrived during a load, answered after it.
    static QUEUE: RefCell<VecDeque<(RequestEnvelope, Option<Blob>)>> = const { RefCell::new(VecDeque::new()) };
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
            Ok((env, blob)) if LOADING.with(|l| l.get()) => {
                QUEUE.with(|q| q.borrow_mut().push_back((env, blob)))
            }
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
/// request's id. The file is read as a stream: the browser reads ahead while the worker
/// decodes. (Reading it with `FileReaderSync` a slice at a time, the decode waited for each
/// slice: 4 of the 9 seconds of the decode phase on a 1.6 GB dump; a stream also costs the
/// browser less per byte than slices do.) Requests that arrive meanwhile wait in [`QUEUE`]
/// and are answered, in order, once the load has answered.
fn load(id: u32, name: String, blob: Blob, compare: bool) {
    // A dump fetched from a URL arrives when its fetch ends, perhaps during another load.
    if LOADING.with(|l| l.get()) {
        let req = if compare {
            Request::LoadCompare { name }
        } else {
            Request::Load { name }
        };
        QUEUE.with(|q| {
            q.borrow_mut()
                .push_back((RequestEnvelope { id, req }, Some(blob)))
        });
        return;
    }
    LOADING.with(|l| l.set(true));
    wasm_bindgen_futures::spawn_local(async move {
        let now = js_sys::Date::now;
        let mut progress = |p: Progress| post(id, Response::Progress(p), None);
        let resp = if compare {
            match STATE.with(|s| s.borrow().begin_compare(&memory_bytes)) {
                Ok(limit) => {
                    let analysed = read_and_analyse(&blob, limit, &now, &mut progress).await;
                    STATE.with(|s| s.borrow_mut().end_compare(name, analysed))
                }
                Err(refused) => *refused,
            }
        } else {
            let limit = STATE.with(|s| s.borrow_mut().begin_open(&memory_bytes));
            let analysed = read_and_analyse(&blob, limit, &now, &mut progress).await;
            let analysed = analysed.and_then(|a| Ok((BlobSource::new(blob)?, a)));
            STATE.with(|s| {
                s.borrow_mut()
                    .end_open(name, analysed, &mut progress, &memory_bytes)
            })
        };
        post(id, resp, None);
        LOADING.with(|l| l.set(false));
        // What came during the load, in order; a load among them queues the rest again.
        while !LOADING.with(|l| l.get()) {
            let Some((env, blob)) = QUEUE.with(|q| q.borrow_mut().pop_front()) else {
                break;
            };
            handle(env, blob);
        }
    });
}

/// The bytes decoded at a time: a stream's pieces are copied into wasm memory through one
/// buffer of this size.
const PIECE: usize = 1 << 20;

/// Reads `blob` as a stream and analyses it within `limit` bytes of memory: the analysis
/// with its decode and analysis milliseconds.
async fn read_and_analyse(
    blob: &Blob,
    limit: Option<u64>,
    now: &dyn Fn() -> f64,
    post: &mut dyn FnMut(Progress),
) -> Result<(crate::analysis::Analysis, f64, f64), String> {
    let total = blob.size() as u64;
    let mut report = session::throttled(now, post);
    let mut job = session::LoadJob::new(total, limit, now, &mut report);
    let reader: ReadableStreamDefaultReader = blob.stream().get_reader().unchecked_into();
    // The stream's pieces are gathered into whole 1 MiB pieces, fed when full: the decode
    // sees the same cuts in every run (and as the native simulation of the tab's memory
    // does) whatever sizes the browser's pieces have, so its allocations, and the holes
    // they leave in linear memory, are the same too.
    let mut piece = vec![0u8; PIECE];
    let mut filled = 0;
    'read: while job.wants().is_some() {
        // A file that cannot be read further is treated like one cut short.
        let Ok(read) = JsFuture::from(reader.read()).await else {
            break;
        };
        let read: ReadableStreamReadResult = read.unchecked_into();
        if read.get_done().unwrap_or(true) {
            break;
        }
        let bytes: Uint8Array = read.get_value().unchecked_into();
        let len = bytes.length() as usize;
        let mut at = 0;
        while at < len {
            let n = (PIECE - filled).min(len - at);
            bytes
                .subarray(at as u32, (at + n) as u32)
                .copy_to(&mut piece[filled..filled + n]);
            filled += n;
            at += n;
            if filled == PIECE {
                if job.wants().is_none() {
                    break 'read;
                }
                job.feed(&piece, now, &mut report)
                    .map_err(|e| e.to_string())?;
                filled = 0;
            }
        }
    }
    if filled > 0 && job.wants().is_some() {
        job.feed(&piece[..filled], now, &mut report)
            .map_err(|e| e.to_string())?;
    }
    let _ = reader.cancel();
    drop(piece);
    job.finish(now, &mut report).map_err(|e| e.to_string())
}
