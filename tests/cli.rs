//! The CLI as a user runs it: exit statuses, refusals and messages, and quiet ends on a
//! closed pipe.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dumpscope"));
    // No test touches the real ~/.config (the report key lives there).
    c.env("XDG_CONFIG_HOME", scratch("config"));
    c
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn path(name: &str) -> String {
    fixture(name).to_str().unwrap().to_owned()
}

/// Every command and output format, its reader gone before it writes a byte: the process
/// ends with status 0 or by SIGPIPE (141 in a shell), and says nothing on stderr.
#[test]
fn closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let d = path("leaky-go1.27.dump");
    let (a, _) = analyse("leaky-go1.27.dump");
    let addr = format!("0x{:x}", a.heap.objects.addr[a.heap.objects.len() / 2]);
    let g = [path("growth-go1.27-1.dump"), path("growth-go1.27-2.dump")];
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["summary", &d],
        vec!["top", &d],
        vec!["lost", &d],
        vec!["retainers", &d, &addr],
        vec!["goroutines", &d],
        vec!["classes", &d],
        vec!["leaks", &d],
        vec!["diff", &g[0], &g[1]],
        vec!["timeline", &g[0], &g[1]],
        vec!["report", &d],
        vec!["bench", &d],
    ];
    let json: Vec<Vec<&str>> = cases
        .iter()
        .filter(|c| c[0] != "report")
        .map(|c| c.iter().copied().chain(["--json"]).collect())
        .collect();
    cases.extend(json);
    cases.push(vec!["report", "--json", &d]);
    // The first report creates the key and says so on stderr: let that happen first.
    assert!(run(&["report", &d]).status.success());
    for args in &cases {
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(
            out.status.success() || out.status.signal() == Some(SIGPIPE),
            "dumpscope {args:?}: {:?}\n{err}",
            out.status
        );
        assert!(err.is_empty(), "dumpscope {args:?} wrote to stderr:\n{err}");
    }
}

const SIGPIPE: i32 = 13;

#[test]
fn fail_on_takes_a_fraction_or_a_percentage() {
    let d = path("leaky-go1.27.dump");
    // The top finding holds about 68 % of this heap.
    for (arg, code) in [("0.3", 1), ("30%", 1), ("0.9", 0), ("90%", 0), ("100%", 0)] {
        let out = run(&["leaks", &d, "--fail-on", arg]);
        assert_eq!(out.status.code(), Some(code), "--fail-on {arg}");
    }
    for arg in ["30", "150%", "-0.1", "lots"] {
        let out = run(&["leaks", &d, &format!("--fail-on={arg}")]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "--fail-on {arg} must be refused"
        );
        let err = text(&out.stderr);
        assert!(err.contains("--fail-on"), "{err}");
    }
    let err = text(&run(&["leaks", &d, "--fail-on", "30"]).stderr);
    assert!(err.contains("write 30% or 0.3"), "{err}");
}

/// A dump after six GCs whose only unreachable object is one 48-byte block: that is what
/// the runtime holds from outside the heap, not garbage; no runtime.GC() advice.
#[test]
fn one_small_unreachable_object_is_not_garbage_advice() {
    use dumpscope::format::writer::DumpWriter;
    const HEAP: u64 = 0xc000_000000;
    let mut w = DumpWriter::new(8, HEAP, HEAP + 0x10000);
    w.object(HEAP, &[HEAP + 0x100, 0, 0, 0, 0, 0], &[0]) // reachable, points at nothing kept
        .object(HEAP + 0x100, &[0; 6], &[])
        .object(HEAP + 0x200, &[0; 6], &[]) // unreachable
        .bss(0x600000, &[HEAP], &[0])
        .memstats(&[(11, 3), (280, 6)])
        .eof();
    let f = scratch("handful").join("handful.dump");
    std::fs::write(&f, w.finish()).unwrap();
    let f = f.to_str().unwrap();
    for cmd in ["lost", "summary"] {
        let out = text(&run(&[cmd, f]).stdout);
        assert!(out.contains("nothing to act on"), "{cmd}:\n{out}");
        assert!(!out.contains("runtime.GC()"), "{cmd}:\n{out}");
    }
    let out = text(&run(&["leaks", f]).stdout);
    assert!(!out.contains("unreachable_garbage"), "{out}");
}

/// A cut dump: the cut is the diagnosis, first, and nothing calls its objects garbage.
#[test]
fn a_cut_dump_is_diagnosed_as_cut() {
    let whole = read("leaky-go1.27.dump");
    let f = scratch("cut").join("cut.dump");
    std::fs::write(&f, &whole[..whole.len() * 7 / 10]).unwrap();
    let f = f.to_str().unwrap();
    let out = run(&["leaks", f]);
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("1. [cut_dump] the dump is cut short"),
        "{stdout}"
    );
    assert!(first.contains("offset"), "names where: {first}");
    assert!(
        !stdout.contains("unreachable_garbage") && !stdout.contains("runtime.GC()"),
        "{stdout}"
    );
    let lost = text(&run(&["lost", f]).stdout);
    assert!(lost.contains("The dump is cut short"), "{lost}");
    // Garbage in a dump taken after GCs is named as such, with the GC count.
    let (a, _) = analyse("prodlike-go1.19.dump");
    let gcs = a.heap.memstats.as_ref().unwrap().num_gc;
    let out = text(&run(&["lost", &path("prodlike-go1.19.dump")]).stdout);
    assert!(
        out.contains(&format!("Garbage allocated since the last of {gcs} GCs")),
        "{out}"
    );
}

/// An address copied from a root label ("global in bss segment +0x0 (0x…)") is a root:
/// say which, and what it points at, instead of "no object contains address".
#[test]
fn retainers_of_a_global_address_names_the_root() {
    use dumpscope::heap::RootKind;
    let (a, _) = analyse("leaky-go1.27.dump");
    let h = &a.heap;
    let r = h
        .roots
        .iter()
        .find(|r| matches!(r.kind, RootKind::Bss { .. }))
        .unwrap();
    let RootKind::Bss { offset } = r.kind else {
        unreachable!()
    };
    let addr = format!("0x{:x}", h.bss.addr + offset);
    assert!(h.root_label(&r.kind).contains(&addr));
    let out = run(&["retainers", &path("leaky-go1.27.dump"), &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{addr} is not a heap object but a global: bss segment +0x{offset:x}, a GC root that points at 0x{:x}", r.value)), "{err}");
    // An address in no segment and no object says where it is not.
    let err = text(&run(&["retainers", &path("leaky-go1.27.dump"), "0x10"]).stderr);
    assert!(
        err.contains("outside the heap and the data and bss segments"),
        "{err}"
    );
}

/// diff of two programs' dumps warns (stderr, and `warnings` in --json); dumps of one
/// program do not.
#[test]
fn diff_warns_about_different_programs() {
    let out = run(&[
        "diff",
        &path("leaky-go1.27.dump"),
        &path("basic-go1.27.dump"),
    ]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: dumps 1 and 2 come from different programs (data segment"),
        "{err}"
    );
    let json = run(&[
        "diff",
        "--json",
        &path("leaky-go1.19.dump"),
        &path("basic-go1.27.dump"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let w = v["warnings"][0].as_str().unwrap();
    assert!(w.contains("Go go1.19.8 vs go1.27.3"), "{w}");
    let same = run(&[
        "diff",
        &path("growth-go1.27-1.dump"),
        &path("growth-go1.27-2.dump"),
        &path("growth-go1.27-3.dump"),
    ]);
    assert!(text(&same.stderr).is_empty(), "{}", text(&same.stderr));
}

/// Every class label is unique (two shapes of one size used to print the same label), an
/// unnamed type reads as one instead of a cut-off "fmt.", and the share column says that
/// retained shares nest.
#[test]
fn class_labels_are_unique_and_whole() {
    for d in [
        "basic-go1.27.dump",
        "growth-go1.19-1.dump",
        "prodlike-go1.27.dump",
    ] {
        let out = run(&["classes", "--json", "--limit", "100000", &path(d)]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["class"].as_str().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with('.')), "{d}: {names:?}");
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "{d}: duplicate class labels");
    }
    let out = text(&run(&["classes", &path("growth-go1.19-1.dump")]).stdout);
    assert!(out.contains("fmt.(unnamed 8 B type)"), "{out}");
    assert!(out.contains(" B with pointers (layout 1 of "), "{out}");
    assert!(out.contains("shares add up to more than 100 %"), "{out}");
}

/// With `--exe`, a report's leak findings carry their paths as Go fields (in the JSON, and
/// in the HTML beside the retainer path), as `leaks` prints them; without it, none.
#[test]
fn report_names_finding_paths_with_the_executable() {
    let d = path("service-go1.27.dump");
    let exe = exe_path("service-go1.27.exe");
    let exe = exe.to_str().unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = run(args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let leaks = json(&["--exe", exe, "leaks", "--json", &d]);
    let want = leaks["findings"][0]["evidence"]["field_path"]
        .as_str()
        .unwrap();
    assert!(
        want.starts_with("main.registry .tenants [map value]"),
        "{want}"
    );
    let r = json(&["--exe", exe, "report", "--json", &d]);
    assert_eq!(r["findings"][0]["field_path"].as_str(), Some(want));
    let html = text(&run(&["--exe", exe, "report", &d]).stdout);
    assert!(
        html.contains(&format!("<span class=\"mono\">{want}</span>")),
        "{want}"
    );
    let plain = json(&["report", "--json", &d]);
    assert!(plain["findings"][0].get("field_path").is_none());
}
