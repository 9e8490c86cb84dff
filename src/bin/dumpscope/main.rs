//! `dumpscope`: the native command-line front end over the dumpscope core: argument
//! parsing and dispatch. The text it prints is `report::text`; `bench.rs` is the benchmark
//! harness, `inputs.rs` what it reads besides dumps (the report key, lists of dumps),
//! `serve.rs` the web app's engine over HTTP on 127.0.0.1 (`http.rs`: the HTTP it speaks).

mod args;
mod bench;
mod http;
mod inputs;
mod serve;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use args::{Cli, Command};
use clap::Parser;
use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::{goroutines, leaks, Analysis};
use dumpscope::exe::Executable;
use dumpscope::heap::ObjectId;
use dumpscope::report::{self, share, text, timeline, Names};

/// The executable given with `--exe`, read once for every dump of the run.
static EXE: std::sync::OnceLock<Executable> = std::sync::OnceLock::new();

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
    if let Some(p) = &cli.exe {
        match std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| Executable::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(exe) => {
                let _ = EXE.set(exe);
            }
            Err(e) => {
                eprintln!("dumpscope: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        }
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("dumpscope: {msg}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn load(path: &Path) -> Result<Analysis, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().ok().map(|m| m.len());
    let heap = dumpscope::load::load_reader(file, len)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(e) = &heap.decode_error {
        eprintln!(
            "dumpscope: warning: {}: {e}; showing what was read before it",
            path.display()
        );
    }
    let Some(exe) = EXE.get() else {
        return Ok(Analysis::new(heap));
    };
    let mut heap = heap;
    heap.attach_executable(exe)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // Typing follows pointers through object contents, which the load did not keep: they
    // are read again from the file, a chunk at a time, while the dominator tree is built.
    let mut chunks = reread(path)?;
    let (mut a, typed) = Analysis::with_progress_beside(heap, &mut |_, _, _| {}, |h| {
        dumpscope::analysis::typing::walk(h, exe, &mut chunks)
    });
    if let Some(t) = typed {
        t.apply(&mut a.heap);
    }
    Ok(a)
}

/// When an executable typed the heap, adds the findings that read object contents and
/// names the findings' retainer paths by field (contents are read again from the dump).
fn with_contents(
    f: &mut leaks::Findings,
    a: &Analysis,
    classes: &Classes,
    groups: &[goroutines::Group],
    dump: &Path,
) -> Result<(), String> {
    if a.heap.exe.is_none() {
        return Ok(());
    }
    let mut chunks = reread(dump)?;
    leaks::with_contents(f, a, classes, groups, EXE.get(), &mut |off, len| {
        chunks.get(off, len)
    });
    Ok(())
}

/// The dump at `path` read again a chunk at a time: object contents (typing, field paths),
/// which the load did not keep.
pub(crate) fn reread(path: &Path) -> Result<Reread, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(dumpscope::load::Chunks::new(Box::new(move |off, len| {
        read_at(&file, off, len)
    })))
}

/// What [`reread`] gives.
pub(crate) type Reread =
    dumpscope::load::Chunks<Box<dyn FnMut(u64, usize) -> Option<Vec<u8>> + Send>>;

/// Up to `len` bytes of `file` at `offset`.
pub(crate) fn read_at(file: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::with_capacity(len);
    f.take(len as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
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

pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    serde_json::to_writer_pretty(&mut w, v).map_err(|e| e.to_string())?;
    writeln!(w).map_err(|e| e.to_string())
}

fn run(cli: Cli) -> Result<(), String> {
    let text = match cli.command {
        Command::Summary { dump, json } => {
            let s = report::summary(&load(&dump)?);
            if json {
                return print_json(&s);
            }
            text::summary(&dump.display().to_string(), &s)
        }
        Command::Top { dump, limit, json } => {
            let a = load(&dump)?;
            let c = Classes::compute(&a);
            let t = report::top(&a, Names::Classes(&c), limit);
            if json {
                return print_json(&t);
            }
            text::top(&t)
        }
        Command::Lost { dump, limit, json } => {
            let a = load(&dump)?;
            let c = Classes::compute(&a);
            let l = report::lost(&a, Names::Classes(&c), limit);
            if json {
                return print_json(&l);
            }
            text::lost(&l)
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
            let mut r = report::retainers(&a, Names::Classes(&c), id, paths, &excluded);
            if a.heap.exe.is_some() {
                let mut chunks = reread(&dump)?;
                report::name_paths(&mut r, &a, &mut |off, len| chunks.get(off, len));
            }
            if json {
                return print_json(&r);
            }
            text::retainers(&r)
        }
        Command::Bench { dump, json } => return bench::bench(&dump, json),
        Command::Exe { binary } => {
            let t = std::time::Instant::now();
            let bytes = std::fs::read(&binary).map_err(|e| format!("{}: {e}", binary.display()))?;
            let read = t.elapsed();
            let e = Executable::parse(&bytes).map_err(|e| format!("{}: {e}", binary.display()))?;
            let total = t.elapsed();
            let mb = bytes.len() as f64 / 1e6;
            println!(
                "{}: {:.1} MB, {} {}",
                binary.display(),
                mb,
                e.format,
                e.arch
            );
            println!(
                "  go version     {}",
                e.go_version.as_deref().unwrap_or("(no build info)")
            );
            println!(
                "  symbols        {} globals, {} functions{}",
                e.globals.len(),
                e.funcs.len(),
                if e.has_symbols { "" } else { " (stripped)" }
            );
            match (&e.dwarf, &e.dwarf_error) {
                (Some(d), _) => println!(
                    "  DWARF          {} types, {} globals, {} functions with stack variables",
                    d.types.len(),
                    d.globals.len(),
                    d.funcs.len()
                ),
                (None, Some(err)) => println!("  DWARF          unreadable: {err}"),
                (None, None) => {
                    println!("  DWARF          none (built with -ldflags=-w, or stripped)")
                }
            }
            let seg = |s: Option<(u64, u64)>| match s {
                Some((a, n)) => format!("0x{a:x} +{n}"),
                None => "none".into(),
            };
            println!("  segments       data {}, bss {}", seg(e.data), seg(e.bss));
            println!(
                "  type names     {}",
                match e.types_base {
                    Some(b) => format!("from descriptors at 0x{b:x}"),
                    None => "not found".into(),
                }
            );
            println!(
                "  read in        {:.3} s ({:.3} s the file, {:.3} s parsing: {:.0} MB/s)",
                total.as_secs_f64(),
                read.as_secs_f64(),
                (total - read).as_secs_f64(),
                mb / (total - read).as_secs_f64().max(1e-9)
            );
            return Ok(());
        }
        Command::Serve {
            dump,
            port,
            site,
            open,
        } => {
            return serve::serve(serve::Options {
                dump: &dump,
                port,
                site: site.as_deref(),
                open,
                exe: cli.exe.as_deref().zip(EXE.get()),
            })
        }
        Command::Goroutines { dump, all, json } => {
            let a = load(&dump)?;
            if all {
                let g = report::goroutines(&a.heap);
                if json {
                    return print_json(&g);
                }
                text::goroutines(&g)
            } else {
                let groups = report::goroutine_groups(&goroutines::groups(&a));
                if json {
                    return print_json(&groups);
                }
                text::goroutine_groups(&groups)
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
            text::classes(&rows)
        }
        Command::Leaks {
            dump,
            fail_on,
            json,
        } => {
            let a = load(&dump)?;
            let (classes, groups, mut f) = leaks::analyse(&a);
            with_contents(&mut f, &a, &classes, &groups, &dump)?;
            if json {
                print_json(&f)?;
            } else {
                print!("{}", text::leaks(&f));
            }
            if let Some(limit) = fail_on.filter(|&l| leaks::top_share(&f) > l) {
                eprintln!(
                    "dumpscope: top finding holds {:.1}% of the heap, above --fail-on {:.1}%",
                    leaks::top_share(&f) * 100.0,
                    limit * 100.0
                );
                std::process::exit(1);
            }
            return Ok(());
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
            text::diff(&d)
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
                Some(inputs::report_key(key_file.as_deref())?)
            };
            let mut opts = share::Options::new(key);
            opts.classes = classes;
            let r = inputs::make_report(&dumps, &opts)?;
            let text = if json {
                serde_json::to_string_pretty(&r).map_err(|e| e.to_string())? + "\n"
            } else {
                report::html::render(&r)
            };
            let Some(p) = output else {
                return write_stdout(&text);
            };
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
            return Ok(());
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
            return Ok(());
        }
        Command::Timeline { dumps, limit, json } => {
            let files = inputs::dump_files(&dumps)?;
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
            text::timeline(&t)
        }
    };
    write_stdout(&text)
}

fn write_stdout(text: &str) -> Result<(), String> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())
}
