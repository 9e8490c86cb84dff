//! The Web Worker's side: one analysed dump and the answers to the UI's requests. Every
//! decision is the engine's ([`crate::engine::session`], no browser API, tested natively);
//! `entry` (wasm32 only) is the glue that moves bytes between the `File`, `postMessage` and
//! the session; `run` is the `worker` binary's entry point.

#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
pub use entry::run;
