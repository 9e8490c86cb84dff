//! The Web Worker's side: one analysed dump and the answers to the UI's requests.
//!
//! - [`session`]: the worker's state and answers, with no browser API (tests run natively).
//! - [`class_table`]: the core's classes, goroutine groups and leak findings as rows.
//! - [`export`]: tables as CSV or JSON.
//! - `entry` (wasm32 only): the glue that moves bytes between the `File`, `postMessage`
//!   and the session; `run` is the `worker` binary's entry point.

pub mod class_table;
pub mod export;
pub mod session;

#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
pub use entry::run;
