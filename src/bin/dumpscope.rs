//! `dumpscope`: the native command-line front end over the dumpscope core.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dumpscope::analysis::Analysis;
use dumpscope::heap::ObjectId;
use dumpscope::report::{self, ObjectRow};

#[derive(Parser)]
#[command(
    name = "dumpscope",
    version,
    about = "Analyze Go heap dumps (runtime/debug.WriteHeapDump)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Totals, reachability, MemStats and how they reconcile with the objects.
    Summary {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The objects that retain the most memory (dominator-based retained sizes).
    Top {
        dump: PathBuf,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Unreachable objects: in the dump but garbage (allocated since the last GC).
    Lost {
        dump: PathBuf,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Paths from GC roots to the object containing ADDR, shortest first.
    Retainers {
        dump: PathBuf,
        /// An address inside the object (hex with 0x, or decimal).
        addr: String,
        #[arg(long, default_value_t = 5)]
        paths: usize,
        /// Objects (addresses) to ignore as retainers, to see the next path.
        #[arg(long = "ignore")]
        ignore: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Goroutines with their wait reasons and stacks.
    Goroutines {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("dumpscope: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<Analysis, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().ok().map(|m| m.len());
    let heap = dumpscope::load::load_reader(std::io::BufReader::with_capacity(1 << 20, file), len)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(e) = &heap.decode_error {
        eprintln!(
            "dumpscope: warning: {}: {e}; showing what was read before it",
            path.display()
        );
    }
    Ok(Analysis::new(heap))
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    r.map_err(|_| format!("not an address: {s:?}"))
}

fn find_object(a: &Analysis, s: &str) -> Result<ObjectId, String> {
    let addr = parse_addr(s)?;
    a.heap
        .objects
        .find(addr)
        .ok_or_else(|| format!("no object contains address 0x{addr:x}"))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    serde_json::to_writer_pretty(&mut w, v).map_err(|e| e.to_string())?;
    writeln!(w).map_err(|e| e.to_string())
}

/// Text from the dump, made safe for a terminal: control characters become escapes.
fn esc(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} B)", UNITS[u])
    }
}

fn object_line(r: &ObjectRow) -> String {
    format!(
        "{:>14}  {:>12}  {:>12}  {}",
        r.address,
        r.shallow,
        r.retained,
        esc(&r.class)
    )
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Summary { dump, json } => {
            let a = load(&dump)?;
            let s = report::summary(&a);
            if json {
                return print_json(&s);
            }
            println!("{}", dump.display());
            println!(
                "  Go version        {} ({}, {}-bit{})",
                esc(&s.go_version),
                esc(&s.arch),
                s.pointer_size * 8,
                if s.big_endian { ", big-endian" } else { "" }
            );
            println!(
                "  objects           {} ({})",
                s.objects,
                bytes(s.object_bytes)
            );
            println!(
                "  reachable         {} objects, {}",
                s.reachable_objects,
                bytes(s.reachable_bytes)
            );
            println!(
                "  unreachable       {} objects, {}",
                s.unreachable_objects,
                bytes(s.unreachable_bytes)
            );
            println!("  pointer edges     {}", s.pointer_edges);
            println!(
                "  GC roots          {} objects held by {} root pointers",
                s.gc_roots, s.root_pointers
            );
            println!(
                "  goroutines        {} ({} stack frames)",
                s.goroutines, s.stack_frames
            );
            println!(
                "  finalizers        {} registered, {} queued",
                s.finalizers, s.queued_finalizers
            );
            println!(
                "  memprof           {} buckets, {} alloc samples",
                s.memprof_buckets, s.alloc_samples
            );
            println!("  types / itabs     {} / {}", s.type_records, s.itabs);
            if s.phantom_records > 0 {
                println!(
                    "  span-tail records {} (Go 1.22+ metadata, not objects)",
                    s.phantom_records
                );
            }
            if let Some(r) = &s.reconciliation {
                println!("  MemStats");
                println!(
                    "    HeapAlloc       {}  (objects add up to {}, difference {:+})",
                    bytes(r.heap_alloc),
                    bytes(r.object_bytes),
                    r.bytes_difference
                );
                println!(
                    "    HeapObjects     {}  (objects in dump {}, difference {:+})",
                    r.heap_objects, r.objects, r.objects_difference
                );
                println!("    HeapInuse       {}", bytes(r.heap_inuse));
                println!("    StackInuse      {}", bytes(r.stack_inuse));
                println!(
                    "    NumGC           {}  (total pause {} ns)",
                    r.num_gc, r.pause_total_ns
                );
            }
            if let Some(e) = &s.decode_error {
                println!("  WARNING           {}", esc(e));
            }
            for d in &s.diagnostics {
                println!("  note: {}", esc(d));
            }
        }
        Command::Top { dump, limit, json } => {
            let a = load(&dump)?;
            let t = report::top(&a, limit);
            if json {
                return print_json(&t);
            }
            println!("reachable: {}", bytes(t.reachable_bytes));
            println!(
                "{:>14}  {:>12}  {:>12}  class",
                "address", "shallow", "retained"
            );
            for r in &t.objects {
                println!("{}", object_line(r));
            }
        }
        Command::Lost { dump, limit, json } => {
            let a = load(&dump)?;
            let l = report::lost(&a, limit);
            if json {
                return print_json(&l);
            }
            println!(
                "unreachable: {} objects, {} ({} structures)",
                l.objects,
                bytes(l.bytes),
                l.heads
            );
            if l.objects > 0 {
                println!("(WriteHeapDump does not collect: call runtime.GC() first for a live-only dump)");
                println!(
                    "{:>14}  {:>12}  {:>12}  class",
                    "address", "shallow", "retained"
                );
                for r in &l.largest {
                    println!("{}", object_line(r));
                }
            }
        }
        Command::Retainers {
            dump,
            addr,
            paths,
            ignore,
            json,
        } => {
            let a = load(&dump)?;
            let id = find_object(&a, &addr)?;
            let excluded = ignore
                .iter()
                .map(|s| find_object(&a, s))
                .collect::<Result<Vec<_>, _>>()?;
            let r = report::retainers(&a, id, paths, &excluded);
            if json {
                return print_json(&r);
            }
            println!("{}", object_line(&r.target));
            if !r.target.reachable {
                println!("  unreachable: no path from any root");
            }
            for (i, p) in r.paths.iter().enumerate() {
                println!("path {} ({} objects)", i + 1, p.objects.len());
                for root in &p.roots {
                    println!("  root: {}", esc(&root.label));
                }
                for (depth, o) in p.objects.iter().enumerate() {
                    println!(
                        "  {}{}",
                        "  ".repeat(depth.min(40)),
                        object_line(o).trim_start()
                    );
                }
            }
        }
        Command::Goroutines { dump, json } => {
            let a = load(&dump)?;
            let g = report::goroutines(&a.heap);
            if json {
                return print_json(&g);
            }
            for g in &g {
                println!(
                    "goroutine {} [{}{}{}]",
                    g.id,
                    g.status,
                    if g.wait_reason.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", esc(&g.wait_reason))
                    },
                    if g.system { ", system" } else { "" }
                );
                for f in &g.frames {
                    println!("  {}  {}", f.pc, esc(&f.func));
                }
            }
        }
    }
    Ok(())
}
