//! Shared code of the fuzz targets: the invariant checks (also used by
//! `tests/robustness.rs`), the structured graph input and the web session driver.

pub mod checks;
pub mod graph;
pub mod session;
