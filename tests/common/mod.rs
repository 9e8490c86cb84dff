//! Shared helpers for the integration tests: fixture paths, expectations, object bytes.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dumpscope::analysis::Analysis;
use dumpscope::heap::{Heap, ObjectId};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dumps")
        .join(name)
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A committed executable, gunzipped when its fixture is `NAME.gz`.
#[allow(dead_code)]
pub fn read_exe(name: &str) -> Vec<u8> {
    if fixture(name).exists() {
        return read(name);
    }
    let gz = read(&format!("{name}.gz"));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
        .unwrap_or_else(|e| panic!("{name}.gz: {e}"));
    out
}

/// [`read_exe`] written to a file (for the CLI's `--exe`), once per test binary.
#[allow(dead_code)]
pub fn exe_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exe");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    if !p.exists() {
        let tmp = dir.join(format!("{name}.{}", std::process::id()));
        std::fs::write(&tmp, read_exe(name)).unwrap();
        std::fs::rename(&tmp, &p).unwrap();
    }
    p
}

pub fn expect(program: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/expect/{program}.json"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

pub fn analyse(name: &str) -> (Analysis, Vec<u8>) {
    let bytes = read(name);
    let heap = dumpscope::load::load_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        heap.decode_error.is_none(),
        "{name}: {:?}",
        heap.decode_error
    );
    (Analysis::new(heap), bytes)
}

/// The dumped contents of an object.
pub fn contents<'a>(heap: &Heap, file: &'a [u8], id: ObjectId) -> &'a [u8] {
    let off = heap.objects.file_offset.get(id as usize) as usize;
    &file[off..off + heap.objects.size.get(id as usize) as usize]
}

/// Objects whose contents hold `magic` at `offset` (relative to the Go value start).
pub fn with_magic(heap: &Heap, file: &[u8], magic: &[u8], offset: usize) -> Vec<ObjectId> {
    (0..heap.objects.len() as ObjectId)
        .filter(|&id| {
            let c = contents(heap, file, id);
            let base = (heap.objects.value_addr(id) - heap.objects.addr[id as usize]) as usize;
            c.get(base + offset..base + offset + magic.len()) == Some(magic)
        })
        .collect()
}

pub fn word(heap: &Heap, file: &[u8], id: ObjectId, offset: usize) -> u64 {
    let c = contents(heap, file, id);
    let base = (heap.objects.value_addr(id) - heap.objects.addr[id as usize]) as usize;
    u64::from_le_bytes(c[base + offset..base + offset + 8].try_into().unwrap())
}

pub const VERSIONS: [&str; 2] = ["go1.19", "go1.27"];

const EXTREMES_GO: &str = "1.27";

/// A dump of one of the extreme programs, written by `make extremes` or, when missing, here.
pub fn extreme(program: &str) -> Vec<u8> {
    static WRITING: Mutex<()> = Mutex::new(());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/out/extremes");
    let path = dir.join(format!("{program}-go{EXTREMES_GO}.dump"));
    if !path.exists() {
        // One at a time: they share the Go build cache and the toolchain install.
        let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
        if !path.exists() {
            eprintln!(
                "{} is missing; writing it (as `make extremes` does)",
                path.display()
            );
            let status = std::process::Command::new("bash")
                .arg(root.join("tests/fixtures/regen.sh"))
                .args(["--programs", program, "--versions", EXTREMES_GO, "--out"])
                .arg(&dir)
                .status()
                .expect("bash");
            assert!(
                status.success(),
                "tests/fixtures/regen.sh could not write {}: run `make extremes`",
                path.display()
            );
        }
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `go` binary of Go 1.19 (tests/fixtures/toolchain.sh installs it when missing).
pub fn go() -> PathBuf {
    static FINDING: Mutex<()> = Mutex::new(());
    let _guard = FINDING.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(". tests/fixtures/toolchain.sh && go_for 1.19")
        .current_dir(root)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "tests/fixtures/toolchain.sh found no Go 1.19: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8(out.stdout).unwrap();
    PathBuf::from(path.lines().last().expect("a path").trim())
}
