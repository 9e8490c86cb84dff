//! The push decoder: chunking independence, precise errors, partial results.

mod common;

use dumpscope::format::writer::{DumpWriter, GoroutineSpec};
use dumpscope::format::{decode_all, Decoder, ErrorKind, Record, RecordPos};
use dumpscope::load::{load_bytes, Loader};

/// A digest of every record: tag, offset and the fields that matter, as text.
fn digest_chunked(data: &[u8], chunk: usize) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    let mut sink = |r: &Record<'_>, p: RecordPos| {
        let detail = match r {
            Record::Object(o) => format!(
                "{:x} {} {:?}",
                o.addr,
                o.contents.len(),
                o.fields.pointer_offsets().collect::<Vec<_>>()
            ),
            Record::StackFrame(f) => format!("{} {}", f.depth, String::from_utf8_lossy(f.name)),
            Record::MemProf(m) => format!("{} {:?}", m.id, m.frames.iter().collect::<Vec<_>>()),
            Record::MemStats(m) => format!("{:?}", &m.values()[..12]),
            other => format!("{other:?}"),
        };
        out.push(format!(
            "{}@{}#{} {}",
            p.tag.unwrap(),
            p.offset,
            p.index,
            detail
        ));
    };
    let mut d = Decoder::new();
    let mut err = None;
    for c in data.chunks(chunk.max(1)) {
        if let Err(e) = d.feed(c, &mut sink) {
            err = Some(e.to_string());
            break;
        }
    }
    if err.is_none() {
        err = d.finish(&mut sink).err().map(|e| e.to_string());
    }
    (out, err)
}

#[test]
fn chunk_sizes_give_identical_records() {
    for name in ["basic-go1.19.dump", "basic-go1.27.dump"] {
        let data = common::read(name);
        let (whole, err) = digest_chunked(&data, data.len());
        assert!(err.is_none(), "{err:?}");
        assert!(whole.len() > 10_000);
        for chunk in [1, 7, 4096, 1 << 20] {
            let (got, err) = digest_chunked(&data, chunk);
            assert!(err.is_none(), "{name} chunk {chunk}: {err:?}");
            assert_eq!(got, whole, "{name} chunk {chunk}");
        }
        // The heap built from 7-byte chunks equals the one-shot heap.
        let mut l = Loader::new(None);
        for c in data.chunks(7) {
            l.feed(c);
        }
        let a = l.finish(&mut |_| {}).unwrap();
        let b = load_bytes(&data).unwrap();
        assert_eq!(a.objects.addr, b.objects.addr);
        assert_eq!(a.succ, b.succ);
        assert_eq!(a.roots, b.roots);
    }
}

fn tiny() -> DumpWriter {
    let mut w = DumpWriter::new(8, 0x1000, 0x9000);
    w.object(0x1000, &[0x1010, 0], &[0])
        .object(0x1010, &[0, 0], &[]);
    w.goroutine(GoroutineSpec {
        addr: 0x1000,
        sp: 0x7000,
        id: 1,
        gopc: 0x401000,
        status: 4,
        system: false,
        wait_reason: "chan receive",
    });
    w.frame(0x7000, 0, 0, "main.main", &[0x1000], &[0]);
    w.memstats(&[(11, 2), (6, 32)]);
    w
}

fn err_of(data: &[u8]) -> dumpscope::format::DecodeError {
    decode_all(data, &mut |_: &Record<'_>, _| {}).unwrap_err()
}

#[test]
fn tiny_dump_round_trips() {
    let mut w = tiny();
    w.eof();
    let h = load_bytes(&w.finish()).unwrap();
    assert_eq!(h.objects.len(), 2);
    assert_eq!(h.pointer_edges, 1);
    assert_eq!(h.roots.len(), 1);
    assert_eq!(
        h.root_label(&h.roots[0].kind),
        "goroutine 1 · main.main (frame 0) local +0x0"
    );
}

#[test]
fn errors_name_offset_and_record() {
    // Not a dump: says what it looks like.
    let e = err_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR....");
    assert!(matches!(e.kind, ErrorKind::BadHeader { .. }));
    assert!(e.to_string().contains("PNG"), "{e}");
    let e = err_of(b"go1.4 heap dump\n\x06");
    assert!(e.to_string().contains("1.4"), "{e}");
    let e = err_of(b"");
    assert!(matches!(e.kind, ErrorKind::ShortHeader { len: 0 }), "{e:?}");

    // Unknown tag right after params.
    let mut w = DumpWriter::new(8, 0x1000, 0x9000);
    let at = w.len() as u64;
    w.uv(42);
    let e = err_of(&w.finish());
    assert_eq!(e.kind, ErrorKind::UnknownTag(42));
    assert_eq!(e.offset, at);
    assert_eq!(e.record.unwrap().index, 1);
    assert!(e.to_string().contains(&format!("offset {at}")), "{e}");

    // An 11-byte varint.
    let mut w = DumpWriter::new(8, 0x1000, 0x9000);
    let at = w.len() as u64;
    w.uv(1).bytes(&[0xff; 10]).bytes(&[1]);
    let e = err_of(&w.finish());
    assert_eq!(e.kind, ErrorKind::VarintOverflow);
    assert_eq!(e.offset, at + 1);
    assert_eq!(e.record.unwrap().tag, Some(1));

    // A length bomb: 2^40 bytes of contents promised, a few present.
    for len in [1u64 << 40, u64::MAX >> 1] {
        let mut w = DumpWriter::new(8, 0x1000, 0x9000);
        w.uv(1).uv(0x1000).uv(len).bytes(&[0; 16]);
        let e = err_of(&w.finish());
        assert!(
            matches!(e.kind, ErrorKind::LengthBeyondInput { declared, .. } if declared == len),
            "{e:?}"
        );
        // Streaming without a known length: the same error at finish, nothing allocated up front.
        let mut d = Decoder::new();
        let mut sink = |_: &Record<'_>, _| {};
        d.feed(&w.finish(), &mut sink).unwrap();
        let e2 = d.finish(&mut sink).unwrap_err();
        assert_eq!(e2.kind, e.kind);
    }

    // A memprof bucket promising a billion frames.
    let mut w = DumpWriter::new(8, 0x1000, 0x9000);
    w.uv(16).uv(1).uv(64).uv(1_000_000_000).bytes(&[0; 8]);
    assert!(matches!(
        err_of(&w.finish()).kind,
        ErrorKind::TooManyFrames { .. }
    ));

    // Data after EOF.
    let mut w = tiny();
    w.eof();
    let end = w.len() as u64;
    w.bytes(b"junk");
    let e = err_of(&w.finish());
    assert_eq!(e.kind, ErrorKind::TrailingData { bytes: 4 });
    assert_eq!(e.offset, end);

    // Params must come first.
    let mut w = DumpWriter::raw();
    w.bytes(dumpscope::format::HEADER_GO17)
        .object(0x1000, &[0], &[]);
    assert_eq!(err_of(&w.finish()).kind, ErrorKind::ParamsNotFirst);
}

#[test]
fn truncated_dump_keeps_what_was_read() {
    let data = common::read("basic-go1.19.dump");
    let full = load_bytes(&data).unwrap();
    let cut = &data[..data.len() / 2];
    let h = load_bytes(cut).unwrap();
    let e = h.decode_error.as_ref().expect("diagnostic");
    assert!(
        matches!(
            e.kind,
            ErrorKind::Truncated | ErrorKind::LengthBeyondInput { .. }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("offset"));
    assert!(h.objects.len() > 1000 && h.objects.len() <= full.objects.len());
}

#[test]
fn truncation_sweep_never_panics() {
    let data = common::read("garbage-go1.27.dump");
    // Every record boundary ± 3 bytes in the first 64 KiB, then a spread of offsets.
    let mut cuts = Vec::new();
    let mut sink = |_: &Record<'_>, p: RecordPos| {
        if p.offset < 65536 {
            cuts.push(p.offset as usize);
        }
    };
    decode_all(&data, &mut sink).unwrap();
    let mut offsets: Vec<usize> = cuts
        .iter()
        .flat_map(|&c| c.saturating_sub(3)..c + 4)
        .collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        offsets.push((x % data.len() as u64) as usize);
    }
    for cut in offsets {
        let cut = cut.min(data.len());
        match load_bytes(&data[..cut]) {
            Ok(h) => {
                if cut < data.len() {
                    let e = h.decode_error.as_ref().expect("a cut dump says so");
                    assert!(e.offset <= cut as u64);
                }
                let a = dumpscope::analysis::Analysis::new(h);
                let s = dumpscope::report::summary(&a);
                assert!(s.reachable_objects <= s.objects);
            }
            Err(e) => assert!(e.offset <= cut as u64, "{e}"),
        }
    }
}
