//! Decode errors: every error names the byte offset and, past the header, the record.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RecordPos {
    /// Absolute byte offset of the record's tag.
    pub offset: u64,
    /// 0-based index of the record (the params record is index 0).
    pub index: u64,
    /// The record's tag, once it has been read.
    pub tag: Option<u64>,
}

/// What is wrong with the input. The names describe the input, not the code that noticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The first 16 bytes are not a known heap dump header.
    BadHeader {
        found: Vec<u8>,
        looks_like: Option<&'static str>,
    },
    /// The input ended inside the 16-byte header.
    ShortHeader { len: u64 },
    /// A record tag outside 0..=17. Records have no length prefix, so this is fatal.
    UnknownTag(u64),
    /// A varint longer than 10 bytes, or one whose value does not fit in 64 bits.
    VarintOverflow,
    /// A string or byte range declares more bytes than the input holds.
    LengthBeyondInput { declared: u64, remaining: u64 },
    /// A bool field that is neither 0 nor 1.
    InvalidBool(u64),
    /// A field list entry whose kind is not 0 (end), 1 (pointer), 2 (iface) or 3 (eface).
    InvalidFieldKind(u64),
    /// The first record is not params (tag 6).
    ParamsNotFirst,
    /// A second params or memstats record.
    Duplicate(&'static str),
    /// Params declare a pointer size other than 4 or 8.
    BadPointerSize(u64),
    /// A memprof bucket declares more frames than the remaining input could hold.
    TooManyFrames { declared: u64 },
    /// The input ended before the EOF record.
    Truncated,
    /// Bytes follow the EOF record.
    TrailingData { bytes: u64 },
}

/// A decode error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Absolute byte offset where the problem is.
    pub offset: u64,
    /// The record being read, when the problem is past the header.
    pub record: Option<RecordPos>,
    pub kind: ErrorKind,
}

impl DecodeError {
    /// True when records before the error are trustworthy and worth analysing.
    pub fn is_partial_ok(&self) -> bool {
        !matches!(
            self.kind,
            ErrorKind::BadHeader { .. } | ErrorKind::ShortHeader { .. } | ErrorKind::ParamsNotFirst
        )
    }
}

pub(crate) fn tag_name(tag: u64) -> &'static str {
    match tag {
        0 => "eof",
        1 => "object",
        2 => "otherroot",
        3 => "type",
        4 => "goroutine",
        5 => "stack frame",
        6 => "params",
        7 => "finalizer",
        8 => "itab",
        9 => "osthread",
        10 => "memstats",
        11 => "queued finalizer",
        12 => "data segment",
        13 => "bss segment",
        14 => "defer",
        15 => "panic",
        16 => "memprof bucket",
        17 => "alloc sample",
        _ => "unknown",
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::BadHeader { found, looks_like } => {
                write!(
                    f,
                    "not a Go heap dump: expected the header \"go1.7 heap dump\\n\", found \""
                )?;
                for &b in found {
                    write!(f, "{}", std::ascii::escape_default(b))?;
                }
                write!(f, "\"")?;
                if let Some(what) = looks_like {
                    write!(f, " (this looks like {what})")?;
                }
                Ok(())
            }
            ErrorKind::ShortHeader { len: 0 } => write!(
                f,
                "not a Go heap dump: the input is empty; expected the 16-byte header \"go1.7 heap dump\\n\""
            ),
            ErrorKind::ShortHeader { len } => write!(
                f,
                "not a Go heap dump: the input is {len} bytes, shorter than the 16-byte header \"go1.7 heap dump\\n\""
            ),
            ErrorKind::UnknownTag(t) => {
                write!(f, "unknown record tag {t} (valid tags are 0 to 17)")
            }
            ErrorKind::VarintOverflow => write!(f, "varint longer than 10 bytes or above 2^64"),
            ErrorKind::LengthBeyondInput {
                declared,
                remaining,
            } => write!(
                f,
                "length {declared} is beyond the remaining input ({remaining} bytes)"
            ),
            ErrorKind::InvalidBool(v) => write!(f, "bool field holds {v}, expected 0 or 1"),
            ErrorKind::InvalidFieldKind(k) => {
                write!(f, "field list entry of kind {k}, expected 0 to 3")
            }
            ErrorKind::ParamsNotFirst => write!(f, "the first record is not params (tag 6)"),
            ErrorKind::Duplicate(what) => write!(f, "a second {what} record"),
            ErrorKind::BadPointerSize(p) => write!(f, "pointer size {p}, expected 4 or 8"),
            ErrorKind::TooManyFrames { declared } => write!(
                f,
                "memprof bucket declares {declared} frames, more than the input can hold"
            ),
            ErrorKind::Truncated => {
                write!(f, "truncated: the input ends before the EOF record")
            }
            ErrorKind::TrailingData { bytes } => {
                write!(f, "{bytes} bytes of data after the EOF record")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {} (0x{:x})",
            self.kind, self.offset, self.offset
        )?;
        if let Some(r) = &self.record {
            match r.tag {
                Some(t) => write!(
                    f,
                    ", in record #{} ({} record, tag {}) starting at offset {}",
                    r.index,
                    tag_name(t),
                    t,
                    r.offset
                )?,
                None => write!(
                    f,
                    ", in record #{} starting at offset {}",
                    r.index, r.offset
                )?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// Guesses what a non-dump file is from its first bytes, for a friendlier message.
pub(crate) fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG") {
        Some("a PNG image")
    } else if head.starts_with(b"\x1f\x8b") {
        Some("a gzip file (a compressed pprof profile is gzip; decompress a dump first)")
    } else if head.starts_with(b"go1.4 heap dump") || head.starts_with(b"go1.3 heap dump") {
        Some("a Go 1.3/1.4 heap dump, whose older format is not supported")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive")
    } else if head.starts_with(b"\x7fELF") {
        Some("an ELF binary or core file (dumpscope reads runtime/debug.WriteHeapDump output)")
    } else if head.starts_with(b"HEAPSNAPSHOT") || head.starts_with(b"{\"snapshot\"") {
        Some("a JavaScript heap snapshot")
    } else if head.starts_with(b"JAVA PROFILE") {
        Some("a Java hprof heap dump")
    } else if head.starts_with(b"%PDF") {
        Some("a PDF document")
    } else if head.first() == Some(&0x0a)
        || head.starts_with(b"\x08")
        // Go's own encoder writes period_type (field 11, a message) first.
        || (head.first() == Some(&0x5a) && head.get(2) == Some(&0x08))
    {
        Some("a protobuf, perhaps an uncompressed pprof profile")
    } else if !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        Some("a text file")
    } else {
        None
    }
}
