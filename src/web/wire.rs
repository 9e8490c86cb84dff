//! The JS shape of a [`protocol`](crate::engine::protocol) message, shared by both ends
//! (the UI's bridge and the worker): a plain object `{ json, blob? }` that `postMessage`
//! structured-clones. `json` is the serde_json text of the envelope; `blob` is the `File`
//! or `Blob` that travels beside it (a dump to load, an export to save).

use js_sys::{Object, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// `{ json, blob? }` from JSON text already encoded.
pub fn message(json: &str, blob: Option<&Blob>) -> JsValue {
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"json".into(), &json.into());
    if let Some(b) = blob {
        let _ = Reflect::set(&msg, &"blob".into(), b);
    }
    msg.into()
}

/// Encodes an envelope (and its Blob) as a message for `postMessage`.
pub fn encode<T: Serialize>(envelope: &T, blob: Option<&Blob>) -> Result<JsValue, String> {
    let json = serde_json::to_string(envelope).map_err(|e| e.to_string())?;
    Ok(message(&json, blob))
}

/// Reads a message made by [`encode`]: the envelope and the Blob that came with it.
pub fn decode<T: DeserializeOwned>(data: &JsValue) -> Result<(T, Option<Blob>), String> {
    let json = Reflect::get(data, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
        .ok_or("the message has no `json` string")?;
    let envelope = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let blob = Reflect::get(data, &"blob".into())
        .ok()
        .and_then(|b| b.dyn_into::<Blob>().ok());
    Ok((envelope, blob))
}
