//! `dumpscope`: the native command-line front end over the dumpscope core.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::{goroutines, leaks, Analysis};
use dumpscope::heap::{ObjectId, TailLayout};
use dumpscope::report::redact::ReportKey;
use dumpscope::report::{self, share, timeline, Names, ObjectRow};

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
    /// Benchmark: plain read vs decode, then every analysis phase, with peak memory.
    Bench {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Goroutines grouped by wait reason, stack and creator; leaked-looking groups flagged.
    Goroutines {
        dump: PathBuf,
        /// List every goroutine instead of groups.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// The class table: objects grouped by type, allocation site or shape.
    Classes {
        dump: PathBuf,
        #[arg(long, default_value_t = 40)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Leak suspects, largest impact first.
    Leaks {
        dump: PathBuf,
        /// Exit with status 1 when the top finding holds more than this share of the heap:
        /// a fraction (0.3) or a percentage (30%).
        #[arg(long, value_parser = parse_share)]
        fail_on: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Growth by class across two or three dumps of one process, and leak candidates.
    Diff {
        #[arg(num_args = 2..=3, required = true)]
        dumps: Vec<PathBuf>,
        #[arg(long, default_value_t = 30)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// A shareable report in one self-contained HTML file (or JSON): summary, classes, leak
    /// suspects, goroutines and, for several dumps, growth and timeline. Redacted by default:
    /// no contents, addresses as keyed pseudonyms, only the main package's file names.
    Report {
        /// One dump, or several of one process (any order: they are ordered by LastGC).
        #[arg(required = true)]
        dumps: Vec<PathBuf>,
        /// Where to write the report (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write the report as JSON instead of HTML.
        #[arg(long)]
        json: bool,
        /// Keep real addresses and file paths (prints a warning; the report says so).
        #[arg(long)]
        no_redact: bool,
        /// The key for address pseudonyms (64 hex digits; created if missing). Default:
        /// ${XDG_CONFIG_HOME:-~/.config}/dumpscope/report.key.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Rows of the class table.
        #[arg(long, default_value_t = 100)]
        classes: usize,
    },
    /// Retained memory as a pprof profile (dominator chains as stacks), for `go tool pprof`
    /// and other pprof viewers: a flame graph whose cumulative bytes are retained bytes.
    Pprof {
        dump: PathBuf,
        /// Where to write the profile (protobuf; pprof also reads it uncompressed).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// In-use bytes and objects across dumps of one process, in time order (MemStats.LastGC),
    /// by class and by allocation site; classes that grow in every dump are flagged.
    Timeline {
        /// Dumps, or directories of `*.dump` files.
        #[arg(required = true)]
        dumps: Vec<PathBuf>,
        /// Rows per table (growing classes are always listed).
        #[arg(long, default_value_t = 30)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

/// `--fail-on`: 0.3 or 30%. A bare number above 1 is refused, not read as a percentage:
/// `--fail-on 30` would otherwise never fire.
fn parse_share(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(p) => (p.trim(), 100.0),
        None => (s.trim(), 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a share: write 0.3 or 30%"))?;
    let share = v / scale;
    if !(0.0..=1.0).contains(&share) {
        return Err(if scale == 1.0 && v <= 100.0 {
            format!("{v} is above 1: a share is a fraction of the heap; for {v} percent write {v}% or {}", v / 100.0)
        } else {
            format!("'{s}' is not between 0 and 100%")
        });
    }
    Ok(share)
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`dumpscope classes x.dump | head`) would make
    // every print panic. Restore the default: the process ends quietly with status 141,
    // as Unix tools do when their reader goes away.
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread or I/O; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
        .ok_or_else(|| a.heap.not_an_object(addr))
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

/// `1.50 MiB (1572864 B)`: readable, and exact for scripts that grep.
fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{} ({n} B)", dumpscope::report::human_bytes(n))
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
            if let Some(advice) = &s.unreachable_advice {
                println!("                    {advice}");
            }
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
            if s.span_tails.layout != TailLayout::None {
                println!(
                    "  span-tail records {} (Go 1.22+ metadata, not objects)",
                    s.phantom_records
                );
                println!("    layout          {}", s.span_tails.layout.describe());
                println!("    evidence        {}", s.span_tails.basis);
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
            let c = Classes::compute(&a);
            let t = report::top(&a, Names::Classes(&c), limit);
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
            let c = Classes::compute(&a);
            let l = report::lost(&a, Names::Classes(&c), limit);
            if json {
                return print_json(&l);
            }
            println!(
                "unreachable: {} objects, {} ({} structures)",
                l.objects,
                bytes(l.bytes),
                l.heads
            );
            if let Some(advice) = &l.advice {
                println!("{advice}");
            }
            if l.objects > 0 {
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
            let c = Classes::compute(&a);
            let r = report::retainers(&a, Names::Classes(&c), id, paths, &excluded);
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
        Command::Bench { dump, json } => bench(&dump, json)?,
        Command::Goroutines {
            dump,
            all: false,
            json,
        } => {
            let a = load(&dump)?;
            let groups = report::goroutine_groups(&goroutines::groups(&a));
            if json {
                return print_json(&groups);
            }
            for g in &groups {
                println!(
                    "{:>6} × [{}]{} {}{}",
                    g.count,
                    esc(&g.wait_reason),
                    if g.looks_leaked { " LEAK?" } else { "" },
                    esc(&g.top_function),
                    g.created_by
                        .as_ref()
                        .map(|c| format!("  (created by {})", esc(c)))
                        .unwrap_or_default()
                );
                if g.stack_retained_bytes > 0 {
                    println!(
                        "         stacks alone keep {} in {} objects",
                        bytes(g.stack_retained_bytes),
                        g.stack_retained_objects
                    );
                }
                for f in &g.stack {
                    println!("         {}", esc(f));
                }
            }
        }
        Command::Classes { dump, limit, json } => {
            let a = load(&dump)?;
            let c = Classes::compute(&a);
            let mut rows = report::classes(&a, &c);
            rows.truncate(limit);
            if json {
                return print_json(&rows);
            }
            println!(
                "{:>9} {:>12} {:>12} {:>6}  class (named by)",
                "count", "shallow", "retained", "share"
            );
            for r in &rows {
                println!(
                    "{:>9} {:>12} {:>12} {:>5.1}%  {} ({:?})",
                    r.count,
                    r.shallow,
                    r.retained,
                    r.share * 100.0,
                    esc(&r.class),
                    r.source
                );
            }
            println!("{}", report::SHARE_NOTE);
        }
        Command::Leaks {
            dump,
            fail_on,
            json,
        } => {
            let a = load(&dump)?;
            let (_, _, f) = leaks::analyse(&a);
            if json {
                print_json(&f)?;
            } else {
                if f.findings.is_empty() {
                    println!("no leak suspects");
                }
                for (i, x) in f.findings.iter().enumerate() {
                    println!("{}. [{}] {}", i + 1, x.kind, esc(&x.title));
                    println!(
                        "   retains {} ({:.1}% of the heap), {} objects, {} goroutines",
                        bytes(x.retained_bytes),
                        x.share * 100.0,
                        x.objects,
                        x.goroutines
                    );
                    for s in &x.evidence.classes {
                        println!("   holds {} × {} ({} B)", s.objects, esc(&s.name), s.bytes);
                    }
                    for s in &x.evidence.alloc_sites {
                        println!(
                            "   allocated at {} × {} ({} B)",
                            s.objects,
                            esc(&s.name),
                            s.bytes
                        );
                    }
                    for f in &x.evidence.stack {
                        println!("   stack: {}", esc(f));
                    }
                    if let Some(c) = &x.evidence.created_by {
                        println!("   created by {}", esc(c));
                    }
                    for (d, l) in x.evidence.retainer_path.iter().enumerate() {
                        println!("   {}{}", if d == 0 { "path: " } else { "      " }, esc(l));
                    }
                }
            }
            if let Some(limit) = fail_on {
                if leaks::top_share(&f) > limit {
                    eprintln!(
                        "dumpscope: top finding holds {:.1}% of the heap, above --fail-on {:.1}%",
                        leaks::top_share(&f) * 100.0,
                        limit * 100.0
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Diff { dumps, limit, json } => {
            let analyses = dumps
                .iter()
                .map(|d| load(d))
                .collect::<Result<Vec<_>, _>>()?;
            let classes: Vec<Classes> = analyses.iter().map(Classes::compute).collect();
            let pairs: Vec<_> = analyses.iter().zip(&classes).collect();
            let mut d = dumpscope::analysis::diff::diff(&pairs);
            d.classes.truncate(limit);
            for w in &d.warnings {
                eprintln!("dumpscope: warning: {w}");
            }
            if json {
                return print_json(&d);
            }
            println!("growth by class (bytes in each dump)");
            for c in &d.classes {
                let cells: Vec<String> = c
                    .counts
                    .iter()
                    .zip(&c.bytes)
                    .map(|(n, b)| format!("{n:>7} / {b:>10}"))
                    .collect();
                println!("  {}  {}", cells.join("  "), esc(&c.class));
            }
            let l = &d.leak_candidates;
            println!(
                "leak candidates: {} objects, {} (new in B, not in A{})",
                l.objects,
                bytes(l.bytes),
                if d.dumps == 3 { ", still in C" } else { "" }
            );
            for c in &l.classes {
                println!(
                    "  {:>7} × {} ({} B){}",
                    c.objects,
                    esc(&c.class),
                    c.bytes,
                    c.alloc_site
                        .as_ref()
                        .map(|s| format!(" allocated at {}", esc(s)))
                        .unwrap_or_default()
                );
                for (i, line) in c.retainer_path.iter().enumerate() {
                    println!(
                        "      {}{}",
                        if i == 0 { "path: " } else { "      " },
                        esc(line)
                    );
                }
            }
        }
        Command::Goroutines {
            dump,
            all: true,
            json,
        } => {
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
        Command::Report {
            dumps,
            output,
            json,
            no_redact,
            key_file,
            classes,
        } => {
            let key = if no_redact {
                eprintln!(
                    "dumpscope: warning: --no-redact: the report holds real addresses and file paths \
                     from the dump; share it only with people who may see them"
                );
                None
            } else {
                Some(report_key(key_file.as_deref())?)
            };
            let mut opts = share::Options::new(key);
            opts.classes = classes;
            let r = make_report(&dumps, &opts)?;
            let text = if json {
                serde_json::to_string_pretty(&r).map_err(|e| e.to_string())? + "\n"
            } else {
                report::html::render(&r)
            };
            match output {
                Some(p) => {
                    std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
                    eprintln!(
                        "dumpscope: wrote {} ({}{})",
                        p.display(),
                        if json { "JSON" } else { "HTML" },
                        if r.redacted {
                            ", redacted"
                        } else {
                            ", NOT redacted"
                        }
                    );
                }
                None => {
                    let out = std::io::stdout();
                    let mut w = out.lock();
                    w.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
                }
            }
        }
        Command::Pprof { dump, output } => {
            let a = load(&dump)?;
            let c = Classes::compute(&a);
            let name = dump.file_name().map(|n| n.to_string_lossy().into_owned());
            let comment = report::pprof::comment(name.as_deref().unwrap_or("the dump"));
            let profile = report::pprof::retained_profile(&a, &c, &comment);
            std::fs::write(&output, &profile).map_err(|e| format!("{}: {e}", output.display()))?;
            eprintln!(
                "dumpscope: wrote {} ({} B); view it with `go tool pprof -http=: {}`",
                output.display(),
                profile.len(),
                output.display()
            );
        }
        Command::Timeline { dumps, limit, json } => {
            let files = dump_files(&dumps)?;
            if files.len() < 2 {
                return Err(format!(
                    "a timeline needs at least two dumps, found {}",
                    files.len()
                ));
            }
            let mut b = timeline::TimelineBuilder::default();
            for f in &files {
                let a = load(f)?;
                let c = Classes::compute(&a);
                b.add(&f.display().to_string(), &a, &c);
            }
            let t = b.finish(limit);
            if json {
                return print_json(&t);
            }
            print_timeline(&t);
        }
    }
    Ok(())
}

/// The report key: read from `path` (default `${XDG_CONFIG_HOME:-~/.config}/dumpscope/
/// report.key`), or made from 32 random bytes and written there (mode 0600) on first use.
fn report_key(path: Option<&Path>) -> Result<ReportKey, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let config = match std::env::var_os("XDG_CONFIG_HOME") {
                Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
                _ => std::env::var_os("HOME")
                    .or_else(|| std::env::var_os("USERPROFILE"))
                    .map(|h| PathBuf::from(h).join(".config"))
                    .ok_or("neither XDG_CONFIG_HOME nor HOME is set: pass --key-file")?,
            };
            config.join("dumpscope").join("report.key")
        }
    };
    let read = |p: &Path| -> Result<ReportKey, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(p) {
                if m.permissions().mode() & 0o077 != 0 {
                    eprintln!(
                        "dumpscope: warning: {} can be read by other users (chmod 600 it)",
                        p.display()
                    );
                }
            }
        }
        ReportKey::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    if path.exists() {
        return read(&path);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness for a report key: {e}"))?;
    let key = ReportKey::from_bytes(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(&path) {
        Ok(mut f) => {
            writeln!(f, "{}", key.to_hex()).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!(
                "dumpscope: created the report key {} (keep it private: reports made with it \
                 share address pseudonyms)",
                path.display()
            );
            Ok(key)
        }
        // Another process made it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The report of `dumps`. Up to three are analysed together; with more, each is read once
/// for the timeline and dropped, then the first, middle and newest are read again.
fn make_report(dumps: &[PathBuf], opts: &share::Options) -> Result<share::Report, String> {
    let name = |p: &PathBuf| p.display().to_string();
    if dumps.len() <= 3 {
        let analyses = dumps
            .iter()
            .map(|d| load(d))
            .collect::<Result<Vec<_>, _>>()?;
        let classes: Vec<Classes> = analyses.iter().map(Classes::compute).collect();
        let names: Vec<String> = dumps.iter().map(name).collect();
        let inputs: Vec<(&str, &Analysis, &Classes)> = names
            .iter()
            .zip(&analyses)
            .zip(&classes)
            .map(|((n, a), c)| (n.as_str(), a, c))
            .collect();
        return Ok(share::report(&inputs, opts));
    }
    let mut g = share::Gather::default();
    for d in dumps {
        let a = load(d)?;
        let c = Classes::compute(&a);
        g.add(&name(d), &a, &c);
    }
    let loaded = g
        .focus_ids()
        .into_iter()
        .map(|id| {
            let a = load(&dumps[id])?;
            let c = Classes::compute(&a);
            Ok((id, a, c))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let inputs: Vec<share::Input<'_>> = loaded
        .iter()
        .map(|(id, a, c)| share::Input {
            id: *id,
            a,
            classes: c,
        })
        .collect();
    Ok(share::build(g, &inputs, opts))
}

/// Files named on the command line, with directories replaced by their `*.dump` files.
fn dump_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "dump"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn print_timeline(t: &timeline::Timeline) {
    println!("{} dumps, ordered by {}", t.dumps.len(), t.ordered_by);
    println!(
        "  {:>3}  {:<27}  {:>10}  {:>22}  dump",
        "#", "last GC", "objects", "in use"
    );
    for (i, d) in t.dumps.iter().enumerate() {
        println!(
            "  {:>3}  {:<27}  {:>10}  {:>22}  {}",
            i + 1,
            d.time_utc.as_deref().unwrap_or("(no MemStats)"),
            d.objects,
            bytes(d.bytes),
            esc(&d.name)
        );
    }
    let flagged: Vec<_> = t.flagged_classes().collect();
    if flagged.is_empty() {
        println!(
            "no class grew in every dump (over at least {})",
            timeline::GROWTH_RUN
        );
    } else {
        println!(
            "growing classes (bytes rose in every dump over at least {}, up to the newest):",
            timeline::GROWTH_RUN
        );
        for s in &flagged {
            println!(
                "  {}  since #{}",
                esc(&s.name),
                s.growing_since.unwrap_or(0) + 1
            );
        }
    }
    for (title, rows, total) in [
        ("classes", &t.classes, t.total_classes),
        ("allocation sites", &t.sites, t.total_sites),
    ] {
        println!(
            "{title} (objects / bytes in each dump; {} of {total})",
            rows.len()
        );
        for s in rows {
            let cells: Vec<String> = s
                .counts
                .iter()
                .zip(&s.bytes)
                .map(|(n, b)| format!("{n:>7} / {b:>10}"))
                .collect();
            println!(
                "  {}  {} {}",
                cells.join("  "),
                if s.grows { "↑" } else { " " },
                esc(&s.name)
            );
        }
    }
}

/// What `bench --json` prints.
#[derive(serde::Serialize)]
struct BenchReport {
    dump: String,
    bytes: u64,
    records: u64,
    objects: u64,
    pointer_edges: u64,
    classes: u64,
    plain_read_s: f64,
    decode_s: f64,
    /// Plain-read time over decode time: decode throughput as a share of a plain read.
    decode_vs_read: f64,
    decode_keep_s: f64,
    graph_s: f64,
    build_phases: Vec<(String, f64)>,
    analysis_phases: Vec<(String, f64)>,
    total_s: f64,
    peak_rss_bytes: u64,
    peak_above_start_bytes: u64,
    peak_after_decode_bytes: u64,
    peak_after_graph_bytes: u64,
    bytes_per_object: f64,
    budget_bytes: u64,
    reachable_objects: u64,
    reachable_bytes: u64,
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak RSS counter so a phase's peak can be measured (Linux).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn bench(path: &Path, json: bool) -> Result<(), String> {
    use std::io::Read;
    use std::time::Instant;
    let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    let len = open()?.metadata().map_err(|e| e.to_string())?.len();
    let mb = len as f64 / 1e6;
    let mut buf = vec![0u8; 1 << 20];

    // Baseline: read the file in the same 1 MiB chunks, touching every byte. The first pass
    // warms the page cache so both sides of the comparison read from memory.
    let mut read_s = 0.0;
    for _ in 0..2 {
        let t = Instant::now();
        let mut f = open()?;
        let mut sum = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            sum = sum.wrapping_add(buf[..n].iter().map(|&b| u64::from(b)).sum::<u64>());
        }
        read_s = t.elapsed().as_secs_f64();
        std::hint::black_box(sum);
    }

    // Decode only: every record parsed, nothing kept.
    let t = Instant::now();
    let mut f = open()?;
    let mut d = dumpscope::format::Decoder::with_total_len(len);
    let mut records = 0u64;
    let mut sink = |_: &dumpscope::format::Record<'_>, _| records += 1;
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        d.feed(&buf[..n], &mut sink).map_err(|e| e.to_string())?;
    }
    d.finish(&mut sink).map_err(|e| e.to_string())?;
    let decode_s = t.elapsed().as_secs_f64();
    drop(buf);

    // Decode + heap build, then each analysis phase.
    reset_peak_rss();
    let base_rss = peak_rss().unwrap_or(0);
    let t = Instant::now();
    let mut loader = dumpscope::load::Loader::new(Some(len));
    let mut f = open()?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        loader.feed(&buf[..n]);
    }
    drop(buf);
    let load_decode_s = t.elapsed().as_secs_f64();
    let peak_decode = peak_rss().unwrap_or(0);
    let t = Instant::now();
    let mut build_phases: Vec<(String, Instant)> = Vec::new();
    let heap = loader
        .finish(&mut |p| build_phases.push((format!("{p:?}"), Instant::now())))
        .map_err(|e| e.to_string())?;
    let build_end = Instant::now();
    let graph_s = t.elapsed().as_secs_f64();
    let peak_graph = peak_rss().unwrap_or(0);
    let objects = heap.objects.len() as f64;
    let edges = heap.pointer_edges;
    let mut phases: Vec<(String, f64)> = Vec::new();
    let mut last = Instant::now();
    let mut cur: Option<dumpscope::analysis::AnalysisPhase> = None;
    let a = Analysis::with_progress(heap, &mut |p, _, _| {
        if cur != Some(p) {
            if let Some(c) = cur {
                phases.push((format!("{c:?}"), last.elapsed().as_secs_f64()));
            }
            cur = Some(p);
            last = Instant::now();
        }
    });
    if let Some(c) = cur {
        phases.push((format!("{c:?}"), last.elapsed().as_secs_f64()));
    }
    let t = Instant::now();
    let classes = Classes::compute(&a);
    phases.push(("Classes".to_string(), t.elapsed().as_secs_f64()));
    let peak = peak_rss().unwrap_or(0);
    let mut build: Vec<(String, f64)> = Vec::new();
    for (i, (name, start)) in build_phases.iter().enumerate() {
        let end = build_phases.get(i + 1).map_or(build_end, |p| p.1);
        build.push((name.clone(), (end - *start).as_secs_f64()));
    }
    let used = peak.saturating_sub(base_rss);
    let r = BenchReport {
        dump: path.display().to_string(),
        bytes: len,
        records,
        objects: objects as u64,
        pointer_edges: edges,
        classes: classes.classes.len() as u64,
        plain_read_s: read_s,
        decode_s,
        decode_vs_read: read_s / decode_s,
        decode_keep_s: load_decode_s,
        graph_s,
        build_phases: build,
        analysis_phases: phases.clone(),
        total_s: load_decode_s + graph_s + phases.iter().map(|p| p.1).sum::<f64>(),
        peak_rss_bytes: peak,
        peak_above_start_bytes: used,
        peak_after_decode_bytes: peak_decode,
        peak_after_graph_bytes: peak_graph,
        bytes_per_object: used as f64 / objects,
        budget_bytes: 80 * objects as u64 + 8 * edges,
        reachable_objects: a.reachable_objects(),
        reachable_bytes: a.reachable_bytes(),
    };
    if json {
        return print_json(&r);
    }
    println!(
        "dump            {} ({:.1} MB, {} records, {} objects, {} pointer edges, {} classes)",
        r.dump, mb, r.records, r.objects, r.pointer_edges, r.classes
    );
    println!("{:<34}{:>10}{:>14}", "phase", "seconds", "throughput");
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s",
        "plain read (baseline)",
        read_s,
        mb / read_s
    );
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s   {:.0} % of plain read",
        "decode only",
        decode_s,
        mb / decode_s,
        100.0 * r.decode_vs_read
    );
    println!(
        "{:<34}{:>10.3}{:>11.0} MB/s   {:.2} M objects/s",
        "decode + keep objects",
        load_decode_s,
        mb / load_decode_s,
        objects / load_decode_s / 1e6
    );
    println!("{:<34}{:>10.3}", "sort, phantoms, resolve, CSR", graph_s);
    for (name, s) in &r.build_phases {
        println!("  {:<32}{:>10.3}", name, s);
    }
    for (name, s) in &r.analysis_phases {
        println!("{:<34}{:>10.3}", name, s);
    }
    println!(
        "{:<34}{:>10.3}{:>11.2} M objects/s",
        "total analysis",
        r.total_s,
        objects / r.total_s / 1e6
    );
    println!(
        "peak RSS        {:.1} MB ({:.1} MB above the start); peak after decode {:.1} MB, after graph build {:.1} MB",
        peak as f64 / 1e6,
        used as f64 / 1e6,
        peak_decode as f64 / 1e6,
        peak_graph as f64 / 1e6
    );
    println!(
        "bytes/object    {:.1} (peak above start / objects); budget 80/object + 8/edge = {:.1} MB -> {}",
        r.bytes_per_object,
        r.budget_bytes as f64 / 1e6,
        if used <= r.budget_bytes { "within" } else { "OVER" }
    );
    println!(
        "reachable       {} objects, {} bytes",
        r.reachable_objects, r.reachable_bytes
    );
    Ok(())
}
