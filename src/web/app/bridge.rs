//! The UI's handle on the analysis engine: sends requests, routes each response to the
//! callback of the request it answers. The engine is the Web Worker (restarted on cancel or
//! crash), or, when the page came from `dumpscope serve` (a `?token=` in its URL), the
//! native process that served it: then each request is a `POST /api` on the page's own
//! origin, and the dump is already open there. One protocol either way.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ErrorEvent, Headers, MessageEvent, RequestInit, Worker};
use yew::Callback;

use crate::engine::protocol::*;
use crate::web::wire;

/// A response and the Blob that came with it (an export).
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub resp: Response,
    pub blob: Option<Blob>,
}

/// The worker's script, written by trunk's loader shim next to index.html.
const WORKER_URL: &str = "./worker_loader.js";

/// `dumpscope serve`'s protocol endpoint, on the page's origin.
const API_URL: &str = "./api";

/// The access token `dumpscope serve` put in the page's URL (`?token=…`), if it served
/// the page: then the engine is that process, not a worker.
pub fn local_token() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

struct Inner {
    worker: Option<Worker>,
    ready: bool,
    /// Messages sent before the worker said Ready.
    queue: Vec<JsValue>,
    next_id: u32,
    pending: HashMap<u32, Callback<Reply>>,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

pub struct Bridge {
    inner: RefCell<Inner>,
    /// Told when the worker crashes or fails to start.
    on_crash: Callback<String>,
    /// `dumpscope serve`'s token when it is the engine (no worker then).
    local: Option<String>,
}

impl PartialEq for Bridge {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Bridge {
    pub fn new(on_crash: Callback<String>) -> Rc<Bridge> {
        let b = Rc::new(Bridge {
            inner: RefCell::new(Inner {
                worker: None,
                ready: false,
                queue: Vec::new(),
                next_id: 1,
                pending: HashMap::new(),
                handlers: Vec::new(),
            }),
            on_crash,
            local: local_token(),
        });
        b.start();
        b
    }

    /// The engine is `dumpscope serve`, which has its dump open already.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    fn start(self: &Rc<Self>) {
        if self.local.is_some() {
            return;
        }
        let worker = match Worker::new(WORKER_URL) {
            Ok(w) => w,
            Err(e) => {
                self.on_crash
                    .emit(format!("cannot start the analysis worker: {e:?}"));
                return;
            }
        };
        let weak: Weak<Bridge> = Rc::downgrade(self);
        let onmessage = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            if let (Some(b), Ok(e)) = (weak.upgrade(), e.dyn_into::<MessageEvent>()) {
                b.receive(e.data());
            }
        });
        let weak: Weak<Bridge> = Rc::downgrade(self);
        let onerror = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let message = e
                .dyn_ref::<ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the analysis worker failed".to_string());
            if let Some(b) = weak.upgrade() {
                b.crashed(message);
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.worker = Some(worker);
        inner.ready = false;
        inner.handlers = vec![onmessage, onerror];
    }

    /// Stops whatever the worker is doing (a load, a big sort) by terminating it and starts
    /// a fresh one. Pending requests are dropped (with `dumpscope serve`, only that: their
    /// answers are ignored).
    pub fn restart(self: &Rc<Self>) {
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(w) = inner.worker.take() {
                w.terminate();
            }
            inner.pending.clear();
            inner.queue.clear();
        }
        self.start();
    }

    fn crashed(&self, message: String) {
        let mut inner = self.inner.borrow_mut();
        if let Some(w) = inner.worker.take() {
            w.terminate();
        }
        inner.pending.clear();
        drop(inner);
        self.on_crash.emit(message);
    }

    fn receive(&self, data: JsValue) {
        let (env, blob) = match wire::decode::<ResponseEnvelope>(&data) {
            Ok(m) => m,
            Err(e) => {
                web_sys::console::error_1(&format!("bad message from the worker: {e}").into());
                return;
            }
        };
        match env.resp {
            Response::Ready => {
                let (worker, queue) = {
                    let mut inner = self.inner.borrow_mut();
                    inner.ready = true;
                    (inner.worker.clone(), std::mem::take(&mut inner.queue))
                };
                if let Some(w) = worker {
                    for m in queue {
                        let _ = w.post_message(&m);
                    }
                }
            }
            Response::Crashed { message } => self.crashed(message),
            resp => {
                let last = !matches!(resp, Response::Progress(_));
                let cb = {
                    let mut inner = self.inner.borrow_mut();
                    if last {
                        inner.pending.remove(&env.id)
                    } else {
                        inner.pending.get(&env.id).cloned()
                    }
                };
                if let Some(cb) = cb {
                    cb.emit(Reply { resp, blob });
                }
            }
        }
    }

    /// Sends a request; `reply` gets its response (and, for a load, every progress event).
    /// To `dumpscope serve` no file travels: it refuses the requests that need one.
    pub fn request(
        self: &Rc<Self>,
        req: Request,
        blob: Option<&Blob>,
        reply: Callback<Reply>,
    ) -> u32 {
        let mut inner = self.inner.borrow_mut();
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1).max(1);
        if let Some(token) = &self.local {
            inner.pending.insert(id, reply);
            let json = serde_json::to_string(&RequestEnvelope { id, req }).unwrap_or_default();
            let (token, weak) = (token.clone(), Rc::downgrade(self));
            wasm_bindgen_futures::spawn_local(async move {
                let (resp, blob) = match post(&token, json).await {
                    Ok((env, blob)) => (env.resp, blob),
                    Err(message) => (Response::Error { message }, None),
                };
                if let Some(b) = weak.upgrade() {
                    b.answered(id, resp, blob);
                }
            });
            return id;
        }
        // A request always serializes (no maps, no non-finite floats); if one ever did
        // not, the worker would answer its empty message with an error.
        let msg = wire::encode(&RequestEnvelope { id, req }, blob)
            .unwrap_or_else(|_| wire::message("", None));
        inner.pending.insert(id, reply);
        match (&inner.worker, inner.ready) {
            (Some(w), true) => {
                let _ = w.post_message(&msg);
            }
            _ => inner.queue.push(msg),
        }
        id
    }

    /// Routes the local engine's answer to its request, unless it was forgotten.
    fn answered(&self, id: u32, resp: Response, blob: Option<Blob>) {
        if let Response::Crashed { message } = resp {
            self.crashed(message);
            return;
        }
        let cb = self.inner.borrow_mut().pending.remove(&id);
        if let Some(cb) = cb {
            cb.emit(Reply { resp, blob });
        }
    }

    /// Forgets a request whose answer is no longer wanted.
    pub fn forget(&self, id: u32) {
        self.inner.borrow_mut().pending.remove(&id);
    }
}

/// A request to `dumpscope serve`: the envelope's JSON as the body of `POST /api`; the
/// answer is the response envelope as JSON, or a file with the envelope in the
/// `X-Dumpscope-Response` header.
async fn post(token: &str, json: String) -> Result<(ResponseEnvelope, Option<Blob>), String> {
    let headers = Headers::new().map_err(js_message)?;
    headers
        .set("Content-Type", "application/json")
        .map_err(js_message)?;
    headers
        .set("X-Dumpscope-Token", token)
        .map_err(js_message)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&json));
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str_and_init(API_URL, &init))
        .await
        .map_err(|e| {
            format!(
                "the local engine (dumpscope serve) did not answer: {}",
                js_message(e)
            )
        })?;
    let resp: web_sys::Response = resp.dyn_into().map_err(js_message)?;
    match resp.status() {
        200 => {}
        403 => {
            return Err(
                "the local engine refused the request (HTTP 403): open the URL that \
                        `dumpscope serve` printed, with its token"
                    .into(),
            )
        }
        status => return Err(format!("the local engine answered HTTP {status}")),
    }
    let envelope = resp
        .headers()
        .get("X-Dumpscope-Response")
        .map_err(js_message)?;
    if let Some(envelope) = envelope {
        let env = serde_json::from_str(&envelope).map_err(|e| e.to_string())?;
        let blob = JsFuture::from(resp.blob().map_err(js_message)?)
            .await
            .map_err(js_message)?;
        return Ok((env, Some(blob.dyn_into::<Blob>().map_err(js_message)?)));
    }
    let text = JsFuture::from(resp.text().map_err(js_message)?)
        .await
        .map_err(js_message)?
        .as_string()
        .unwrap_or_default();
    let env = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok((env, None))
}

fn js_message(v: JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}
