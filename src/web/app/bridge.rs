//! The UI's handle on the analysis worker: sends requests, routes each response to the
//! callback of the request it answers, restarts the worker on cancel or crash.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, MessageEvent, Worker};
use yew::Callback;

use crate::web::protocol::*;
use crate::web::wire;

/// A response and the Blob that came with it (an export).
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub resp: Response,
    pub blob: Option<Blob>,
}

/// The worker's script, written by trunk's loader shim next to index.html.
const WORKER_URL: &str = "./worker_loader.js";

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
        });
        b.start();
        b
    }

    fn start(self: &Rc<Self>) {
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
    /// a fresh one. Pending requests are dropped.
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
    pub fn request(&self, req: Request, blob: Option<&Blob>, reply: Callback<Reply>) -> u32 {
        let mut inner = self.inner.borrow_mut();
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1).max(1);
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

    /// Forgets a request whose answer is no longer wanted.
    pub fn forget(&self, id: u32) {
        self.inner.borrow_mut().pending.remove(&id);
    }
}
