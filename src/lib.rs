//! dumpscope: a Go heap dump analyzer.
//!
//! The crate is a pure core that builds natively and for `wasm32-unknown-unknown`, with
//! thin front ends on top. Data flows one way:
//!
//! - [`format`]: bytes → records. A push parser for the `go1.7 heap dump` format; no I/O,
//!   never panics, errors carry the byte offset and the record.
//! - [`heap`]: records → the heap model: object table in address order, CSR pointer graph,
//!   roots with human labels, goroutines, profiles, memstats.
//! - [`analysis`]: reachability, dominators and retained sizes, retainer paths, classes,
//!   goroutine groups, leak findings, diffs of dumps.
//! - [`load`]: the feed/finish pipeline every front end uses.
//! - [`report`]: plain serializable rows shared by the CLI and the web app.
//! - [`engine`]: one analysed dump answering the web app's protocol (pages of rows, detail,
//!   exports), hosted by the Web Worker and by `dumpscope serve`.
//!
//! Front ends: `src/bin/dumpscope/` (native CLI, `dumpscope serve` included) and, behind
//! the `web` feature, the browser app in `web` (a yew UI plus a Web Worker that hosts the
//! engine).

pub mod analysis;
pub mod engine;
pub mod exe;
pub mod format;
pub mod heap;
pub mod load;
pub mod parallel;
pub mod report;
pub mod units;
#[cfg(feature = "web")]
pub mod web;
