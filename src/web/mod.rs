//! The in-browser app: a yew UI (`app`, built as the `app` binary) and a Web Worker that owns
//! the analysis (`worker`, the `worker` binary). They talk through [`protocol`].
//!
//! - [`protocol`]: the messages and the row structs the views render.
//! - [`session`]: the worker's state and answers, with no browser API (tests run natively).
//! - [`leaks`]: the core's classes, goroutine groups and leak findings as rows.
//! - [`export`]: tables as CSV or JSON.
//! - `wire` (wasm32 only): a message as the JS object `postMessage` carries.
//! - `worker` / `app` (wasm32 only): the browser glue.

pub mod export;
pub mod leaks;
pub mod protocol;
pub mod session;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod wire;
#[cfg(target_arch = "wasm32")]
pub mod worker;
