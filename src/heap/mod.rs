//! Records → the heap model: objects in address order with `u32` ids, a CSR pointer graph
//! with a synthetic root node, roots with labels, goroutines, profiles and memstats.

mod builder;
mod column;
pub mod csr;
mod exe_names;
pub mod hash;
mod memstats;
mod model;
mod phantom;
mod sort;
mod strings;

pub use builder::{BuildPhase, HeapBuilder};
pub use column::{prefetch, Column64};
pub use csr::Csr;
pub use exe_names::ExeNames;
pub use memstats::MemStats;
pub use model::*;
pub use phantom::{SpanTails, TailLayout};
pub use strings::{StrId, StringTable};
