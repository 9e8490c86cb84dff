//! The analysis engine behind the web app's views: one analysed dump answering the
//! [`protocol`]'s requests (pages of rows, object detail, retainers, compare, flame,
//! exports). It uses no browser API and no web crate, so two hosts share it: the Web Worker
//! (`web::worker`, reading the dump from a `File`) and `dumpscope serve` (the native CLI,
//! reading it from disk and answering over HTTP on 127.0.0.1).
//!
//! - [`protocol`]: the requests, the responses and the rows the views render.
//! - [`session`]: the engine's state and answers ([`session::WorkerState`],
//!   [`session::Session`]) over a [`session::ByteSource`].
//! - [`class_table`]: the core's classes, goroutine groups and leak findings as rows.
//! - [`export`]: tables as CSV or JSON.

pub mod class_table;
pub mod export;
pub mod protocol;
pub mod session;
