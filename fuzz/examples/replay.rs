//! Runs every check on files (crashers, corpus entries) and says which one fails:
//!
//!     cargo run --release --manifest-path fuzz/Cargo.toml --example replay -- TARGET FILE...
//!
//! TARGET is a fuzz target name; `chunked` files start with their 8-byte chunk plan.

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE...");
    for path in args {
        let data = std::fs::read(&path).unwrap();
        eprintln!("{path}: {} bytes", data.len());
        match target.as_str() {
            "decode" => {
                dumpscope_fuzz::checks::check_decode(&data);
            }
            "chunked" if data.len() >= 8 => {
                let (plan, dump) = data.split_at(8);
                let sizes: Vec<usize> =
                    dumpscope_fuzz::checks::ChunkPlan::new(plan.try_into().unwrap())
                        .take(20)
                        .collect();
                eprintln!("first chunk sizes {sizes:?}");
                if std::env::var("TRACE").is_ok() {
                    trace(dump, plan.try_into().unwrap());
                }
                dumpscope_fuzz::checks::check_chunking(dump, plan.try_into().unwrap());
            }
            "analysis" => dumpscope_fuzz::checks::check_analysis(&data),
            "graph" => {
                dumpscope_fuzz::checks::check_analysis(&dumpscope_fuzz::graph::dump_from(&data))
            }
            "session" => dumpscope_fuzz::session::drive(&data),
            _ => panic!("unknown target {target}"),
        }
        eprintln!("ok");
    }
}

#[allow(dead_code)]
fn trace(dump: &[u8], plan: [u8; 8]) {
    use dumpscope::format::{Decoder, Record, RecordPos};
    let mut d = Decoder::new();
    let mut sink = |_: &Record<'_>, p: RecordPos| {
        if p.offset > 3500 {
            eprintln!("record {:?}", p)
        }
    };
    let mut rest = dump;
    let mut fed = 0;
    for n in dumpscope_fuzz::checks::ChunkPlan::new(plan) {
        if rest.is_empty() {
            break;
        }
        let n = n.min(rest.len());
        let r = d.feed(&rest[..n], &mut sink);
        fed += n;
        if fed > 3600 && fed < 3700 {
            eprintln!(
                "fed {fed} offset {} done {} {:?}",
                d.offset(),
                d.is_done(),
                r
            );
        }
        rest = &rest[n..];
    }
    eprintln!("finish {:?}", d.finish(&mut sink));
}
