//! The in-browser app, on two threads that talk only through
//! [`protocol`](crate::engine::protocol) messages:
//!
//! - `app` (wasm32 only, the `app` binary): the UI thread, a yew app that never reads the
//!   dump; it renders pages of rows the engine sends. Its `bridge` carries requests to the
//!   worker, or over HTTP to `dumpscope serve` when the page came from it.
//! - [`worker`] (the `worker` binary): the Web Worker that reads the dump and owns the
//!   analysis. Everything it decides is in [`crate::engine::session`], with no browser API,
//!   so it is tested natively; `worker::entry` (wasm32 only) is the glue between the `File`,
//!   `postMessage` and the session.
//! - Between them: [`crate::engine::protocol`] (the messages and the row structs the views
//!   render) and `wire` (wasm32 only: a message as the JS object `postMessage` carries).

pub mod worker;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod wire;
