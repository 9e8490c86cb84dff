//! What the CLI reads besides dumps' contents: the report key, dump lists, the inputs of a
//! report of many dumps.

use std::io::Write;
use std::path::{Path, PathBuf};

use dumpscope::analysis::classes::Classes;
use dumpscope::report::redact::ReportKey;
use dumpscope::report::share;

use crate::load;

/// The report key: read from `path` (default `${XDG_CONFIG_HOME:-~/.config}/dumpscope/
/// report.key`), or made from 32 random bytes and written there (mode 0600) on first use.
pub fn report_key(path: Option<&Path>) -> Result<ReportKey, String> {
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
/// for the timeline and dropped, then the first, middle and newest are read again. With
/// `--exe`, the findings' paths are named by field from the files.
pub fn make_report(dumps: &[PathBuf], opts: &share::Options) -> Result<share::Report, String> {
    let name = |p: &PathBuf| p.display().to_string();
    let mut g = share::Gather::default();
    if dumps.len() <= 3 {
        let analyses = dumps
            .iter()
            .map(|d| load(d))
            .collect::<Result<Vec<_>, _>>()?;
        let classes: Vec<Classes> = analyses.iter().map(Classes::compute).collect();
        let readers = dumps
            .iter()
            .map(|d| reader(d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut inputs = Vec::new();
        for (((d, a), c), r) in dumps.iter().zip(&analyses).zip(&classes).zip(&readers) {
            inputs.push(share::Input {
                id: g.add(&name(d), a, c),
                a,
                classes: c,
                read: Some(r),
            });
        }
        return Ok(share::build(g, &inputs, opts));
    }
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
            Ok((id, a, c, reader(&dumps[id])?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let inputs: Vec<share::Input<'_>> = loaded
        .iter()
        .map(|(id, a, c, r)| share::Input {
            id: *id,
            a,
            classes: c,
            read: Some(r),
        })
        .collect();
    Ok(share::build(g, &inputs, opts))
}

/// Reads `path` again, a chunk at a time: object contents for naming paths by field.
fn reader(path: &Path) -> Result<impl Fn(u64, usize) -> Option<Vec<u8>>, String> {
    let chunks = std::cell::RefCell::new(crate::reread(path)?);
    Ok(move |off, len| chunks.borrow_mut().get(off, len))
}

/// Files named on the command line, with directories replaced by their `*.dump` files.
pub fn dump_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
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
