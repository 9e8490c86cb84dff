//! Golden tests of the CLI's output: every command, text and `--json`, on every committed
//! fixture, compared byte for byte with tests/golden/. After an intended change, re-bless:
//!
//!     DUMPSCOPE_BLESS=1 cargo test --release --test golden
//!
//! and review the diff of tests/golden/ like any other change.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn dumpscope(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

/// (golden file name, arguments). Paths are relative to the crate, so goldens hold no
/// machine's directories.
fn cases() -> Vec<(String, Vec<String>)> {
    let mut dumps: Vec<String> = std::fs::read_dir(common::fixture(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".dump"))
        .collect();
    dumps.sort();
    let mut cases = Vec::new();
    for d in &dumps {
        let path = format!("tests/fixtures/dumps/{d}");
        let stem = d.trim_end_matches(".dump");
        let (top, _, _) = dumpscope(&["top", "--json", &path]);
        let top: serde_json::Value = serde_json::from_str(&top).unwrap();
        let addr = top["objects"][0]["address"].as_str().unwrap().to_owned();
        for cmd in [
            "summary",
            "top",
            "lost",
            "goroutines",
            "classes",
            "leaks",
            "retainers",
        ] {
            for json in [false, true] {
                let mut args = vec![cmd.to_owned(), path.clone()];
                if cmd == "retainers" {
                    args.push(addr.clone());
                }
                if json {
                    args.push("--json".into());
                }
                let ext = if json { "json" } else { "txt" };
                cases.push((format!("{stem}/{cmd}.{ext}"), args));
            }
        }
    }
    let growth = |v: &str| -> Vec<String> {
        (1..=3)
            .map(|i| format!("tests/fixtures/dumps/growth-{v}-{i}.dump"))
            .collect()
    };
    for v in ["go1.19", "go1.27"] {
        for cmd in ["diff", "timeline"] {
            for json in [false, true] {
                let mut args = vec![cmd.to_owned()];
                args.extend(growth(v));
                if json {
                    args.push("--json".into());
                }
                let ext = if json { "json" } else { "txt" };
                cases.push((format!("growth-{v}/{cmd}.{ext}"), args));
            }
        }
    }
    // Names from the executable that wrote the dump.
    for v in ["go1.19", "go1.27"] {
        for cmd in ["leaks", "classes", "summary"] {
            cases.push((
                format!("prodlike-{v}/{cmd}.exe.txt"),
                vec![
                    "--exe".into(),
                    format!("tests/fixtures/dumps/prodlike-{v}.exe"),
                    cmd.into(),
                    format!("tests/fixtures/dumps/prodlike-{v}.dump"),
                ],
            ));
        }
    }
    for v in ["go1.19", "go1.22", "go1.27", "go1.27-pie"] {
        let exe = common::exe_path(&format!("service-{v}.exe"));
        for cmd in ["leaks", "classes", "summary"] {
            for json in [false, true] {
                let mut args = vec!["--exe".into(), exe.display().to_string(), cmd.into()];
                if json {
                    args.push("--json".into());
                }
                args.push(format!("tests/fixtures/dumps/service-{v}.dump"));
                let ext = if json { "json" } else { "txt" };
                cases.push((format!("service-{v}/{cmd}.exe.{ext}"), args));
            }
        }
    }
    for v in ["go1.19", "go1.22", "go1.27"] {
        let exe = common::exe_path(&format!("verdicts-{v}.exe"));
        for json in [false, true] {
            let mut args = vec!["--exe".into(), exe.display().to_string(), "leaks".into()];
            if json {
                args.push("--json".into());
            }
            args.push(format!("tests/fixtures/dumps/verdicts-{v}.dump"));
            let ext = if json { "json" } else { "txt" };
            cases.push((format!("verdicts-{v}/leaks.exe.{ext}"), args));
        }
    }
    // Two programs: the diff warns.
    cases.push((
        "mixed/diff.txt".into(),
        vec![
            "diff".into(),
            "tests/fixtures/dumps/leaky-go1.27.dump".into(),
            "tests/fixtures/dumps/basic-go1.27.dump".into(),
        ],
    ));
    cases
}

fn record(stdout: &str, stderr: &str, code: Option<i32>) -> String {
    let mut s = stdout.to_owned();
    if !stderr.is_empty() || code != Some(0) {
        s += &format!("\n--- stderr (exit {code:?}) ---\n{stderr}");
    }
    s
}

#[test]
fn cli_output_matches_the_goldens() {
    let bless = std::env::var_os("DUMPSCOPE_BLESS").is_some();
    let dir = golden_dir();
    let mut failed = Vec::new();
    let cases = cases();
    for (name, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, err, code) = dumpscope(&args);
        let got = record(&out, &err, code);
        let file = dir.join(name);
        if bless {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(want) if want == got => {}
            Ok(want) => failed.push(format!(
                "{name}: differs\n{}",
                first_difference(&want, &got)
            )),
            Err(e) => failed.push(format!("{name}: {e} (run with DUMPSCOPE_BLESS=1)")),
        }
    }
    assert!(cases.len() > 200, "{} cases", cases.len());
    assert!(
        failed.is_empty(),
        "{} of {} goldens differ (`dumpscope {{args}}` vs {}):\n{}",
        failed.len(),
        cases.len(),
        rel(&dir),
        failed.join("\n")
    );
}

fn rel(p: &Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(p)
        .display()
        .to_string()
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("  line {}:\n  want: {w}\n  got:  {g}", i + 1);
        }
    }
    format!(
        "  lengths differ: want {} lines, got {}",
        want.lines().count(),
        got.lines().count()
    )
}
