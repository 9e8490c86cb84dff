//! Runs a fuzz target's checks on files (crashers, corpus entries) outside libFuzzer, with
//! the panic message and backtrace of the first broken invariant:
//!
//!     cargo run --release --manifest-path fuzz/Cargo.toml --example replay -- TARGET FILE...
//!
//! TARGET is a fuzz target name; `chunked` files start with their 8-byte chunk plan.

use dumpscope_fuzz::{checks, graph, session};

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE...");
    for path in args {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        eprintln!("{path}: {} bytes", data.len());
        match target.as_str() {
            "decode" => {
                checks::check_decode(&data);
            }
            "chunked" => {
                if data.len() >= 8 {
                    let (plan, dump) = data.split_at(8);
                    let plan: [u8; 8] = plan.try_into().unwrap();
                    let sizes: Vec<usize> = checks::ChunkPlan::new(plan).take(16).collect();
                    eprintln!("first chunk sizes {sizes:?}");
                    checks::check_chunking(dump, plan);
                }
            }
            "analysis" => checks::check_analysis(&data),
            "graph" => checks::check_analysis(&graph::dump_from(&data)),
            "session" => session::drive(&data),
            _ => panic!("unknown target {target}"),
        }
        eprintln!("ok");
    }
}
