//! Bytes → records: the `go1.7 heap dump` format (see `docs/heapdump-format.md`).
//!
//! [`Decoder`] is a push parser: feed it chunks of any size and it hands each complete
//! [`Record`] to a [`RecordSink`], borrowing byte ranges from the input instead of copying
//! them. It never panics on any input; every [`DecodeError`] carries the byte offset and
//! the record (index and tag). Meaning (pointers, roots, types) is the `heap` module's job.

mod decoder;
mod error;
mod reader;
mod record;
pub mod writer;

pub use decoder::{decode_all, Decoder, RecordSink, HEADER_GO17, HEADER_LEN};
pub use error::{DecodeError, ErrorKind, RecordPos};
pub use reader::Layout;
pub use record::*;
