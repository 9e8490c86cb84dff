//! The worker's side of the protocol without any browser API: one analysed dump, the
//! indexes built lazily for the views (sorted and filtered row orders, classes, goroutine
//! groups, the dominator tree's child lists), and the answers to every request.
//!
//! The dump itself is not kept: object contents are read again from the file through a
//! [`ByteSource`] (a `File` in the browser, a slice in tests).
//!
//! One file per concern, each with its tests:
//! - this file: the [`Session`], its request dispatch ([`Session::handle`]) and object rows;
//! - `state`: what the worker thread holds between messages ([`WorkerState`]): opening a
//!   dump, adding one to compare, and answering every request, files included;
//! - `load`: reading and analysing a dump within a memory limit, with progress;
//! - `tables`: paging every table, and sorting and filtering classes and goroutine groups;
//! - `orders`: the cached, filtered and sorted row orders of the object tables;
//! - `detail`: an object's detail, its contents and its retainer paths;
//! - `compare`: other dumps of the same process and the diff;
//! - `flame`: the flame graph of retained memory;
//! - `treemap`: the overview's treemap, down a dominating chain to where it splits;
//! - `exe`: the executable that wrote the dump: names, typing, indexes rebuilt;
//! - `exports`: the files the worker sends back (tables as CSV or JSON, the pprof profile,
//!   the HTML report), with their names and MIME types.

mod compare;
mod detail;
mod exe;
mod exports;
mod flame;
mod load;
mod orders;
mod state;
mod tables;
#[cfg(test)]
mod test_support;
mod treemap;

use std::rc::Rc;

use crate::analysis::Analysis;
use crate::engine::class_table::{ClassTable, Leaks};
use crate::engine::protocol::*;
use crate::heap::{Csr, Heap, ObjectId};
use crate::report;

pub use compare::{Baseline, COMPARE_MAX};
pub use detail::{CONTENTS_FIRST, CONTENTS_MAX, PATH_END};
pub use exports::{file_stem, format_file, FileBody, OutFile, Reply};
pub use load::{
    load, load_within, memory_limit, throttled, ByteSource, LoadError, LoadJob, SliceSource,
    SourceReader, CHUNK, WASM32_MAX_MEMORY,
};
use orders::OrderKey;
pub use state::{load_failed, no_file, url_file_name, WorkerState};
pub use tables::PAGE_MAX;

/// One analysed dump and the indexes built for its views; answers the UI's queries.
pub struct Session {
    pub name: String,
    pub a: Analysis,
    pub classes: ClassTable,
    leaks: Option<Leaks>,
    /// The flame view, built on first use (a few thousand rows).
    flame: Option<FlameView>,
    orders: Vec<(OrderKey, Rc<Vec<u32>>)>,
    /// Dumps to compare with this one, in the order they were added.
    pub baselines: Vec<Baseline>,
}

pub(super) fn err(message: impl Into<String>) -> Response {
    Response::Error {
        message: message.into(),
    }
}

impl Session {
    /// Computes the class table too (every object row is named by its class).
    pub fn new(name: String, a: Analysis) -> Session {
        Session {
            name,
            classes: ClassTable::compute(&a),
            a,
            leaks: None,
            flame: None,
            orders: Vec::new(),
            baselines: Vec::new(),
        }
    }

    pub(super) fn heap(&self) -> &Heap {
        &self.a.heap
    }

    pub fn summary(&self) -> Summary {
        report::summary(&self.a)
    }

    /// Answers a request that needs no file access beyond `src`.
    pub fn handle(&mut self, req: &Request, src: &dyn ByteSource) -> Response {
        match req {
            Request::Page(p) => self.page(p),
            Request::Object { addr } => self.object(*addr, src),
            Request::Contents { addr, offset, len } => match self.find(*addr) {
                Ok(id) => match self.contents(id, *offset, (*len).min(CONTENTS_MAX), src) {
                    Ok(c) => Response::Contents(c),
                    Err(e) => err(e),
                },
                Err(e) => err(e),
            },
            Request::Retainers {
                addr,
                max_paths,
                excluded,
            } => self.retainers(*addr, *max_paths, excluded, src),
            Request::Findings => {
                let reachable_bytes = self.a.reachable_bytes();
                Response::Findings {
                    reachable_bytes,
                    findings: self.named_findings(src).to_vec(),
                }
            }
            Request::RemoveCompare { index } => self.remove_compare(*index),
            Request::Diff => self.diff(),
            Request::Load { .. }
            | Request::LoadUrl { .. }
            | Request::AttachExe { .. }
            | Request::LoadCompare { .. }
            | Request::Export { .. }
            | Request::Report { .. }
            | Request::Pprof
            | Request::Status => err("not a query"),
            Request::Flame => Response::Flame(Box::new(self.flame())),
            Request::Treemap { cells, drill } => {
                Response::Treemap(Box::new(self.treemap(*cells, *drill)))
            }
        }
    }

    pub(super) fn find(&self, addr: u64) -> Result<ObjectId, String> {
        self.heap()
            .objects
            .find(addr)
            .ok_or_else(|| self.heap().not_an_object(addr))
    }

    pub fn children(&self) -> &Csr {
        self.a.dom_children()
    }

    /// Goroutine groups and leak findings (computed on first use).
    pub fn leaks(&mut self) -> &Leaks {
        if self.leaks.is_none() {
            self.leaks = Some(Leaks::compute(&self.a, &self.classes.classes));
        }
        self.leaks.as_ref().expect("just built")
    }

    /// The leak findings, their paths named by field when an executable typed the heap
    /// (object contents read again from `src`).
    pub fn named_findings(&mut self, src: &dyn ByteSource) -> &[FindingEntry] {
        self.leaks();
        let leaks = self.leaks.as_mut().expect("just built");
        let mut chunks = load::reread(src);
        leaks.with_contents(&self.a, &self.classes.classes, &mut |off, len| {
            chunks.get(off, len)
        });
        &leaks.findings
    }

    /// An object as a table row, named by its class (`analysis::classes`).
    pub fn obj_row(&mut self, id: ObjectId) -> ObjRow {
        let dominated = self.children().degree(id) as u32;
        let i = id as usize;
        let class = self.classes.of(id);
        ObjRow {
            id,
            addr: self.heap().objects.value_addr(id),
            address: report::hex(self.heap().objects.value_addr(id)),
            shallow: self.heap().objects.size.get(i),
            retained: self.a.retained[i],
            class: class.class.clone(),
            class_source: class.source,
            reachable: self.a.is_reachable(id),
            dominated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn summary_matches_the_report() {
        let bytes = fixture("basic-go1.27.dump");
        let s = open(&bytes);
        let v = s.summary();
        let r = report::summary(&s.a);
        assert_eq!(v.objects, r.objects);
        assert_eq!(v.reachable_bytes, r.reachable_bytes);
        let fields = v.memstats.as_ref().unwrap().named_values();
        assert!(fields.iter().any(|(k, _)| k == "HeapAlloc"));
        assert!(fields.iter().all(|(k, _)| k != "PauseNs"));
        // The UI reads it back from JSON.
        let json = serde_json::to_string(&v).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn findings_come_from_the_core() {
        let bytes = fixture("leaky-go1.27.dump");
        let mut s = open(&bytes);
        let Response::Findings { findings, .. } =
            s.handle(&Request::Findings, &SliceSource(&bytes))
        else {
            panic!("no findings")
        };
        let (_, _, core) = crate::analysis::leaks::analyse(&s.a);
        assert_eq!(findings.len(), core.findings.len());
        assert_eq!(findings[0].title, core.findings[0].title);
        assert_eq!(findings[0].kind, "accumulation");
        assert!(findings
            .iter()
            .any(|f| f.kind == "goroutine_leak" && f.goroutines == 100));
        let groups = page(
            &mut s,
            TableKind::Goroutines,
            0,
            10,
            SortSpec::new("count", true),
            "",
        );
        let Rows::Goroutines(groups) = groups.rows else {
            panic!("not groups")
        };
        assert!(groups[0].looks_leaked && groups[0].count == 100);
        assert_eq!(groups[0].created_by.as_deref(), Some("main.handleRequest"));
    }

    #[test]
    fn findings_name_their_paths_by_field_with_the_executable() {
        let dump = fixture("service-go1.27.dump");
        let src = SliceSource(&dump);
        let mut s = open(&dump);
        let findings = |s: &mut Session| match s.handle(&Request::Findings, &src) {
            Response::Findings { findings, .. } => findings,
            other => panic!("{other:?}"),
        };
        assert!(findings(&mut s).iter().all(|f| f.field_path.is_none()));
        let exe = crate::exe::Executable::parse(&fixture_gz("service-go1.27.exe.gz")).unwrap();
        s.attach_exe("service.exe", &exe, &src).unwrap();
        let named = findings(&mut s);
        // What `dumpscope --exe … leaks` prints.
        let (classes, groups, mut core) = crate::analysis::leaks::analyse(&s.a);
        let mut chunks = load::reread(&src);
        crate::analysis::leaks::with_contents(
            &mut core,
            &s.a,
            &classes,
            &groups,
            None,
            &mut |o, l| chunks.get(o, l),
        );
        let want: Vec<Option<String>> = core
            .findings
            .iter()
            .map(|f| f.evidence.field_path.clone())
            .collect();
        let got: Vec<Option<String>> = named.iter().map(|f| f.field_path.clone()).collect();
        assert_eq!(got, want);
        let first = got[0].as_deref().unwrap();
        assert!(
            first.starts_with("main.registry .tenants [map value]") && first.ends_with(".body"),
            "{first}"
        );
        // Named once: the next answer is the same.
        assert_eq!(findings(&mut s), named);
    }
}
