//! What the session's tests share: fixtures, an opened session, pages.

use super::*;
pub use super::{load, SliceSource, PAGE_MAX};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/dumps/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A gzipped fixture (the named-heap fixtures' executables), unpacked.
pub fn fixture_gz(name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&fixture(name)[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    out
}

pub fn open(bytes: &[u8]) -> Session {
    let mut phases = Vec::new();
    let (a, _, _) = load(&SliceSource(bytes), &|| 0.0, &mut |p| phases.push(p)).expect("loads");
    assert!(phases.windows(2).all(|w| w[0].fraction <= w[1].fraction));
    assert!(phases.iter().any(|p| p.phase == "dominators"));
    Session::new("test.dump".into(), a)
}

pub fn page(
    s: &mut Session,
    table: TableKind,
    offset: u32,
    limit: u32,
    sort: SortSpec,
    filter: &str,
) -> Page {
    match s.page(&PageRequest {
        table,
        offset,
        limit,
        sort,
        filter: filter.to_string(),
    }) {
        Response::Page(p) => p,
        other => panic!("not a page: {other:?}"),
    }
}

pub fn objects(p: Page) -> Vec<ObjRow> {
    match p.rows {
        Rows::Objects(v) => v,
        other => panic!("not objects: {other:?}"),
    }
}
