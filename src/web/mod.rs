//! The in-browser app: a yew UI (`app`, built as the `app` binary) and a Web Worker that owns
//! the analysis (`worker`, the `worker` binary). They talk through [`protocol`].
//!
//! - [`protocol`]: the messages and the row structs the views render.
//! - [`session`]: the worker's state and answers, with no browser API (tests run natively).
//! - [`classes`], [`goroutine_groups`], [`export`]: web-side groupings and table writers.
//! - `worker` / `app` (wasm32 only): the browser glue.

pub mod classes;
pub mod export;
pub mod goroutine_groups;
pub mod protocol;
pub mod session;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod worker;
