//! The command line: every subcommand and option (clap), and the parsers of their values.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dumpscope",
    version,
    about = "Analyze Go heap dumps (runtime/debug.WriteHeapDump)"
)]
pub struct Cli {
    /// The Go executable that wrote the dump(s): names globals and the types behind type
    /// words (ELF, Mach-O or PE; stripped binaries keep their type names).
    #[arg(long, global = true, value_name = "BIN")]
    pub exe: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// What an executable gives for naming (format, Go version, symbols, DWARF, type
    /// descriptors) and how long reading it took.
    Exe { binary: PathBuf },
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
    /// The web app with the analysis in this process, for dumps too large for a browser tab:
    /// serves the app and the engine on 127.0.0.1 and prints the URL to open (it carries the
    /// access token).
    Serve {
        dump: PathBuf,
        /// The port on 127.0.0.1 (0: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The built web app (`make dist`). Default: ./dist, else the dist/ of the source
        /// tree this binary was built in.
        #[arg(long, value_name = "DIR")]
        site: Option<PathBuf>,
        /// Open the URL in the default browser.
        #[arg(long)]
        open: bool,
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
