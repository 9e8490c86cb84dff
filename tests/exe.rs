//! Names from the Go executable that wrote a dump (src/exe): globals from its symbols,
//! types from the runtime's type descriptors, stripped or not, and a refusal when the
//! executable did not write the dump. Fixtures: tests/fixtures/dumps/prodlike-go*.exe.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use dumpscope::exe::Executable;
use dumpscope::heap::RootKind;

fn exe(name: &str) -> Executable {
    Executable::parse(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bss_root_label(a: &dumpscope::analysis::Analysis) -> Vec<String> {
    a.heap
        .roots
        .iter()
        .filter(|r| matches!(r.kind, RootKind::Bss { .. }))
        .map(|r| a.heap.root_label(&r.kind))
        .collect()
}

fn named(dump: &str, exe: &Executable) -> dumpscope::analysis::Analysis {
    let (a, _) = analyse(dump);
    let mut heap = a.heap;
    heap.attach_executable(exe).unwrap();
    dumpscope::analysis::Analysis::new(heap)
}

#[test]
fn go_1_27_globals_and_swiss_map_groups_are_named() {
    let e = exe("prodlike-go1.27.exe");
    assert_eq!((e.format, e.arch, e.ptr_size), ("ELF", "amd64", 8));
    assert!(e.has_symbols);
    let a = named("prodlike-go1.27.dump", &e);
    let labels = bss_root_label(&a);
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("global main.cache (bss +0x")),
        "{labels:?}"
    );
    let n = a.heap.exe.as_ref().unwrap();
    assert_eq!(
        n.unnamed_types, 0,
        "every type word the dump holds is named"
    );
    // The cache's Swiss-table group array, a malloc-header object (Go 1.24+ maps).
    let classes = dumpscope::analysis::classes::Classes::compute(&a);
    let names: Vec<&str> = classes.classes.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"map.group[string]*main.entry"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("type@")), "{names:?}");
}

#[test]
fn go_1_19_interface_types_get_their_full_names() {
    let e = exe("prodlike-go1.19.exe");
    let (plain, _) = analyse("prodlike-go1.19.dump");
    let before = dumpscope::analysis::classes::Classes::compute(&plain);
    assert!(before
        .classes
        .iter()
        .any(|c| c.name == "errors.(unnamed 8 B type)"));
    let a = named("prodlike-go1.19.dump", &e);
    let after = dumpscope::analysis::classes::Classes::compute(&a);
    assert!(after
        .classes
        .iter()
        .any(|c| c.name == "*errors.errorString"));
    assert!(bss_root_label(&a)
        .iter()
        .any(|l| l.starts_with("global main.cache ")));
}

/// `strip` removes the symbol table and DWARF but not the type descriptors: types are
/// still named (their base found from the module data), globals are not.
#[test]
fn a_stripped_executable_still_names_types() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exe");
    std::fs::create_dir_all(&dir).unwrap();
    let stripped = dir.join("prodlike-go1.27.stripped");
    std::fs::copy(fixture("prodlike-go1.27.exe"), &stripped).unwrap();
    let st = Command::new("strip")
        .arg(&stripped)
        .status()
        .expect("`strip` (binutils, installed with the C toolchain Rust links with)");
    assert!(st.success());
    let e = Executable::parse(&std::fs::read(&stripped).unwrap()).unwrap();
    assert!(!e.has_symbols && e.globals.is_empty());
    assert!(e.types_base.is_some(), "types base from the module data");
    let a = named("prodlike-go1.27.dump", &e);
    assert_eq!(a.heap.exe.as_ref().unwrap().unnamed_types, 0);
    let classes = dumpscope::analysis::classes::Classes::compute(&a);
    assert!(classes
        .classes
        .iter()
        .any(|c| c.name == "map.group[string]*main.entry"));
    assert!(bss_root_label(&a)
        .iter()
        .all(|l| l.starts_with("global in bss segment")));
}

#[test]
fn another_programs_executable_is_refused() {
    let (a, _) = analyse("leaky-go1.27.dump");
    let mut heap = a.heap;
    let err = heap
        .attach_executable(&exe("prodlike-go1.27.exe"))
        .unwrap_err();
    assert!(
        err.contains("this executable did not write the dump"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["--exe", fixture("prodlike-go1.27.exe").to_str().unwrap()])
        .args(["summary", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not write the dump"));
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["--exe", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .args(["summary", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an executable"));
}
