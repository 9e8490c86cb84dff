//! The worker's side of the protocol without any browser API: one analysed dump, the
//! indexes built lazily for the views (sorted and filtered row orders, classes, goroutine
//! groups, the dominator tree's child lists), and the answers to every request.
//!
//! The dump itself is not kept: object contents are read again from the file through a
//! [`ByteSource`] (a `File` in the browser, a slice in tests).

use std::rc::Rc;

use crate::analysis::classes::Classes;
use crate::analysis::diff;
use crate::analysis::{retainers, Analysis, AnalysisPhase};
use crate::format::{read_word, DecodeError};
use crate::heap::{flags, BuildPhase, Csr, Heap, ObjectId};
use crate::load::Loader;
use crate::report;
use crate::report::redact::ReportKey;
use crate::report::share;
use crate::web::export;
use crate::web::leaks::{ClassTable, Leaks};
use crate::web::protocol::*;

/// Random access to the dump's bytes.
#[allow(clippy::len_without_is_empty)]
pub trait ByteSource {
    /// Up to `len` bytes at `offset` (fewer at the end of the input).
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String>;
    fn size(&self) -> u64;
}

/// A dump in memory (tests).
pub struct SliceSource<'a>(pub &'a [u8]);

impl ByteSource for SliceSource<'_> {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let end = start.saturating_add(len).min(self.0.len());
        Ok(self.0[start..end].to_vec())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
}

/// Bytes read per slice while loading.
pub const CHUNK: usize = 4 << 20;
/// Bytes of contents sent with an object's details; more on request.
pub const CONTENTS_FIRST: u32 = 4096;
/// Largest contents request answered.
pub const CONTENTS_MAX: u32 = 64 << 10;
/// Largest page answered.
pub const PAGE_MAX: u32 = 1000;
/// Objects sent from each end of a longer retainer path (the middle is counted, not sent).
pub const PATH_END: usize = 100;

/// Share of the progress bar each stage takes (decode is I/O bound and the longest).
const DECODE_SHARE: f64 = 0.6;
const BUILD_SHARE: f64 = 0.15;

/// Reads a dump from `src` chunk by chunk and analyses it, reporting progress.
/// `now()` returns milliseconds; `report` is called often, it should rate-limit itself.
pub fn load(
    src: &dyn ByteSource,
    now: &dyn Fn() -> f64,
    report: &mut dyn FnMut(Progress),
) -> Result<(Analysis, f64, f64), DecodeError> {
    load_within(src, now, report, None).map_err(|e| match e {
        LoadError::Decode(d) => d,
        LoadError::TooLarge(_) => unreachable!("no memory limit was given"),
    })
}

/// Why a dump was not analysed.
#[derive(Debug)]
pub enum LoadError {
    /// Nothing usable: not a dump, or no params record.
    Decode(DecodeError),
    /// The analysis would need more memory than `limit` allows; the message has the numbers.
    TooLarge(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Decode(e) => write!(f, "{e}"),
            LoadError::TooLarge(m) => f.write_str(m),
        }
    }
}

/// Memory the worker needs beyond the core analyses, per object (class ids, cached row
/// orders, the dominator tree's children).
const SESSION_BYTES_PER_OBJECT: u64 = 24;
/// The decode projects the whole dump's needs once it has read this much.
const PROJECT_AFTER: u64 = 64 << 20;

fn too_large(objects: u64, pointers: u64, limit: u64, projected: bool) -> Option<LoadError> {
    let need = crate::load::estimate_peak_bytes(objects, pointers)
        .saturating_add(objects.saturating_mul(SESSION_BYTES_PER_OBJECT));
    // A projection from the first part of the file gets 10 % of slack before refusing.
    let allowed = if projected { limit + limit / 10 } else { limit };
    (need > allowed).then(|| {
        LoadError::TooLarge(format!(
            "This dump is too large for a browser tab: {}{} objects and {} pointers need about {:.1} MB of memory to analyse, \
             and this tab can give the analysis {:.1} MB. The dumpscope command line analyses it natively with the same \
             code (e.g. `dumpscope summary FILE`).",
            if projected { "by the first part of the file, about " } else { "" },
            objects,
            pointers,
            need as f64 / 1048576.0,
            limit as f64 / 1048576.0
        ))
    })
}

/// [`load`] with a memory limit: `limit` is how many bytes the analysis may use (in the
/// browser: what wasm32 can still grow to). The dump is refused with the numbers, instead of
/// crashing the tab, as soon as its projected needs exceed the limit, and again exactly once
/// decoding has counted every object and pointer.
pub fn load_within(
    src: &dyn ByteSource,
    now: &dyn Fn() -> f64,
    report: &mut dyn FnMut(Progress),
    limit: Option<u64>,
) -> Result<(Analysis, f64, f64), LoadError> {
    let start = now();
    let total = src.size();
    let mut loader = Loader::new(Some(total));
    let mut offset = 0u64;
    let progress = |phase: &str, fraction: f64, read: u64, objects: u64| Progress {
        phase: phase.to_string(),
        fraction: fraction.clamp(0.0, 1.0),
        bytes_read: read,
        total_bytes: total,
        objects,
        elapsed_ms: now() - start,
    };
    report(progress("decode", 0.0, 0, 0));
    while offset < total {
        let chunk = match src.read(offset, CHUNK) {
            Ok(c) if !c.is_empty() => c,
            // A file that cannot be read further is treated like one cut short here.
            _ => break,
        };
        offset += chunk.len() as u64;
        loader.feed(&chunk);
        report(progress(
            "decode",
            DECODE_SHARE * offset as f64 / total.max(1) as f64,
            offset,
            loader.objects() as u64,
        ));
        if loader.failed().is_some() {
            break;
        }
        if let Some(limit) = limit {
            if offset >= PROJECT_AFTER && offset < total {
                let scale = total as f64 / offset as f64;
                let objects = (loader.objects() as f64 * scale) as u64;
                let pointers = (loader.pointers() as f64 * scale) as u64;
                if let Some(e) = too_large(objects, pointers, limit, true) {
                    return Err(e);
                }
            }
        }
    }
    let objects = loader.objects() as u64;
    if let Some(limit) = limit {
        if let Some(e) = too_large(objects, loader.pointers() as u64, limit, false) {
            return Err(e);
        }
    }
    let heap = loader
        .finish(&mut |phase| {
            let (name, f) = match phase {
                BuildPhase::Sort => ("sort objects", 0.0),
                BuildPhase::Resolve => ("resolve pointers", 0.33),
                BuildPhase::Graph => ("build graph", 0.66),
            };
            report(progress(
                name,
                DECODE_SHARE + BUILD_SHARE * f,
                offset,
                objects,
            ));
        })
        .map_err(LoadError::Decode)?;
    let decoded = now();
    let base = DECODE_SHARE + BUILD_SHARE;
    let a = Analysis::with_progress(heap, &mut |phase, done, t| {
        let (name, lo, hi) = match phase {
            AnalysisPhase::Dominators => ("dominators", 0.0, 0.85),
            AnalysisPhase::RetainedSizes => ("retained sizes", 0.85, 1.0),
        };
        let f = lo + (hi - lo) * (done as f64 / t.max(1) as f64);
        report(progress(name, base + (1.0 - base) * f, offset, objects));
    });
    let end = now();
    Ok((a, decoded - start, end - decoded))
}

/// Row orders are cached per (table, sort, filter); a few recent ones are kept, holding at
/// most one and a half object tables' worth of ids in all: each full order is 4 B per
/// object, and in wasm memory once grown is never returned.
const ORDER_CACHE: usize = 8;

type OrderKey = (TableKind, SortSpec, String);

/// Most dumps in a comparison (the current one included).
pub const COMPARE_MAX: usize = 3;

/// Another dump of the same process, kept (analysed, without its file) for the diff.
pub struct Baseline {
    pub name: String,
    pub a: Analysis,
    pub classes: Classes,
}

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

fn err(message: impl Into<String>) -> Response {
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

    fn heap(&self) -> &Heap {
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
            } => self.retainers(*addr, *max_paths, excluded),
            Request::Findings => {
                let reachable_bytes = self.a.reachable_bytes();
                Response::Findings {
                    reachable_bytes,
                    findings: self.leaks().findings.clone(),
                }
            }
            Request::RemoveCompare { index } => {
                let order = self.compare_order();
                let i = *index as usize;
                match order.get(i) {
                    Some(&Some(b)) => {
                        self.baselines.remove(b);
                        Response::Compare {
                            dumps: self.compare_dumps(),
                        }
                    }
                    Some(None) => err("the current dump cannot be removed from the comparison"),
                    None => err(format!("no compared dump #{i}")),
                }
            }
            Request::Diff => self.diff(),
            Request::Load { .. }
            | Request::LoadUrl { .. }
            | Request::LoadCompare { .. }
            | Request::Export { .. }
            | Request::Report { .. }
            | Request::Pprof => err("not a query"),
            Request::Flame => Response::Flame(Box::new(self.flame())),
        }
    }

    fn find(&self, addr: u64) -> Result<ObjectId, String> {
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

    /// The objects of an object table before filtering.
    fn base_ids(&mut self, table: &TableKind) -> Result<Vec<u32>, String> {
        let n = self.heap().objects.len() as u32;
        let root = self.heap().root_node();
        Ok(match table {
            TableKind::Objects => (0..n).collect(),
            TableKind::Lost => (0..n).filter(|&i| !self.a.is_reachable(i)).collect(),
            TableKind::DomChildren { parent } => {
                let p = match parent {
                    Some(addr) => self.find(*addr)?,
                    None => root,
                };
                self.children().neighbors(p).to_vec()
            }
            TableKind::Outgoing { addr } | TableKind::Incoming { addr } => {
                let id = self.find(*addr)?;
                let g = if matches!(table, TableKind::Outgoing { .. }) {
                    &self.heap().succ
                } else {
                    &self.heap().pred
                };
                let mut v: Vec<u32> = g
                    .neighbors(id)
                    .iter()
                    .copied()
                    .filter(|&t| t != root)
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            }
            TableKind::Classes | TableKind::Goroutines => Vec::new(),
        })
    }

    /// The filtered, sorted row order of an object table (cached).
    fn object_order(
        &mut self,
        table: &TableKind,
        sort: &SortSpec,
        filter: &str,
    ) -> Result<Rc<Vec<u32>>, String> {
        let key = (table.clone(), sort.clone(), filter.to_string());
        if let Some(i) = self.orders.iter().position(|(k, _)| *k == key) {
            let hit = self.orders.remove(i);
            let order = hit.1.clone();
            self.orders.push(hit);
            return Ok(order);
        }
        // Make room first, so a new full-table order never joins several old ones.
        let n = self.heap().objects.len();
        let f = filter.trim();
        let upper = match table {
            TableKind::Objects | TableKind::Lost if f.is_empty() => n,
            TableKind::Objects | TableKind::Lost if f.starts_with("0x") || f.starts_with("0X") => 1,
            // A class filter keeps at most the matching classes' objects.
            TableKind::Objects | TableKind::Lost => {
                let matching = self.classes.matching(f);
                let rows = &self.classes.classes.classes;
                rows.iter()
                    .zip(&matching)
                    .filter(|(_, &m)| m)
                    .map(|(c, _)| c.count as usize)
                    .sum()
            }
            _ => 0,
        };
        let limit = n + n / 2;
        let mut total: usize = self.orders.iter().map(|(_, o)| o.len()).sum();
        while !self.orders.is_empty() && total + upper > limit {
            total -= self.orders.remove(0).1.len();
        }
        let mut ids = self.base_ids(table)?;
        let filter = filter.trim();
        if let Some(hex) = filter
            .strip_prefix("0x")
            .or_else(|| filter.strip_prefix("0X"))
        {
            let target = u64::from_str_radix(hex, 16)
                .ok()
                .and_then(|addr| self.heap().objects.find(addr));
            ids.retain(|&i| Some(i) == target);
        } else if !filter.is_empty() {
            let matching = self.classes.matching(filter);
            let of = &self.classes.classes.of;
            ids.retain(|&i| matching[of[i as usize] as usize]);
        }
        let desc = sort.desc;
        match sort.key.as_str() {
            "address" => ids.sort_unstable(),
            "shallow" => {
                let size = &self.heap().objects.size;
                ids.sort_unstable_by_key(|&i| (std::cmp::Reverse(size.get(i as usize)), i));
                if !desc {
                    ids.reverse();
                }
            }
            "class" => {
                let c = &self.classes;
                let of = &c.classes.of;
                ids.sort_unstable_by_key(|&i| (c.name_rank[of[i as usize] as usize], i));
                if desc {
                    ids.reverse();
                }
            }
            _ => {
                let r = &self.a.retained;
                ids.sort_unstable_by_key(|&i| (std::cmp::Reverse(r[i as usize]), i));
                if !desc {
                    ids.reverse();
                }
            }
        }
        if sort.key == "address" && desc {
            ids.reverse();
        }
        let order = Rc::new(ids);
        self.orders.push((key, order.clone()));
        if self.orders.len() > ORDER_CACHE {
            self.orders.remove(0);
        }
        Ok(order)
    }

    fn class_order(&self, sort: &SortSpec, filter: &str) -> Vec<u32> {
        let l = &self.classes;
        let matching = l.matching(filter.trim());
        let rows = &l.rows;
        let mut ids: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| matching[i as usize])
            .collect();
        let key = |i: &u32| -> u64 {
            let r = &rows[*i as usize];
            match sort.key.as_str() {
                "count" => r.count,
                "shallow" => r.shallow,
                _ => r.retained,
            }
        };
        if sort.key == "name" {
            ids.sort_by_key(|&i| l.name_rank[i as usize]);
            if sort.desc {
                ids.reverse();
            }
        } else {
            ids.sort_by_key(|i| (std::cmp::Reverse(key(i)), *i));
            if !sort.desc {
                ids.reverse();
            }
        }
        ids
    }

    fn group_order(&mut self, sort: &SortSpec, filter: &str) -> Vec<u32> {
        let needle = filter.trim().to_lowercase();
        let groups = &self.leaks().groups;
        let mut ids: Vec<u32> = (0..groups.len() as u32)
            .filter(|&i| {
                let g = &groups[i as usize];
                needle.is_empty()
                    || g.wait_reason.to_lowercase().contains(&needle)
                    || g.stack.iter().any(|f| f.to_lowercase().contains(&needle))
                    || g.created_by
                        .as_ref()
                        .is_some_and(|c| c.to_lowercase().contains(&needle))
            })
            .collect();
        match sort.key.as_str() {
            "wait_reason" | "top_function" => {
                let text = |i: u32| -> &str {
                    let g = &groups[i as usize];
                    if sort.key == "wait_reason" {
                        &g.wait_reason
                    } else {
                        &g.top_function
                    }
                };
                ids.sort_by(|&x, &y| text(x).cmp(text(y)));
                if sort.desc {
                    ids.reverse();
                }
            }
            key => {
                let value = |i: u32| -> u64 {
                    let g = &groups[i as usize];
                    if key == "stack_retained" {
                        g.stack_retained_bytes
                    } else {
                        g.count
                    }
                };
                ids.sort_by_key(|&i| (std::cmp::Reverse(value(i)), i));
                if !sort.desc {
                    ids.reverse();
                }
            }
        }
        ids
    }

    pub fn page(&mut self, p: &PageRequest) -> Response {
        let limit = p.limit.min(PAGE_MAX) as usize;
        let offset = p.offset as usize;
        let window = |len: usize| offset.min(len)..offset.saturating_add(limit).min(len);
        match &p.table {
            TableKind::Classes => {
                let order = self.class_order(&p.sort, &p.filter);
                let rows = &self.classes.rows;
                let items = order[window(order.len())]
                    .iter()
                    .map(|&i| rows[i as usize].clone())
                    .collect();
                Response::Page(Page {
                    offset: p.offset,
                    total: order.len() as u64,
                    rows: Rows::Classes(items),
                })
            }
            TableKind::Goroutines => {
                let order = self.group_order(&p.sort, &p.filter);
                let groups = &self.leaks().groups;
                let items = order[window(order.len())]
                    .iter()
                    .map(|&i| groups[i as usize].clone())
                    .collect();
                Response::Page(Page {
                    offset: p.offset,
                    total: order.len() as u64,
                    rows: Rows::Goroutines(items),
                })
            }
            table => match self.object_order(table, &p.sort, &p.filter) {
                Ok(order) => {
                    let items = order[window(order.len())]
                        .iter()
                        .map(|&i| self.obj_row(i))
                        .collect();
                    Response::Page(Page {
                        offset: p.offset,
                        total: order.len() as u64,
                        rows: Rows::Objects(items),
                    })
                }
                Err(e) => err(e),
            },
        }
    }

    /// Bytes `[offset, offset + len)` of an object's slot, with the words that point at
    /// heap objects.
    pub fn contents(
        &self,
        id: ObjectId,
        offset: u64,
        len: u32,
        src: &dyn ByteSource,
    ) -> Result<Contents, String> {
        let h = self.heap();
        let i = id as usize;
        let size = h.objects.size.get(i);
        let ptr = u64::from(h.params.ptr_size.max(1));
        let offset = (offset.min(size) / ptr) * ptr;
        let len = u64::from(len).min(size - offset);
        let bytes = src.read(
            h.objects.file_offset.get(i).saturating_add(offset),
            len as usize,
        )?;
        let mut pointers = Vec::new();
        let flags = h.objects.flags[i];
        if flags & flags::HAS_POINTERS != 0 {
            let mut o = 0u64;
            while let Some(w) = read_word(&bytes, o, h.params.ptr_size, h.params.big_endian) {
                let at = offset + o;
                let header = flags & flags::MALLOC_HEADER != 0 && at == 0;
                if !header && w != 0 && h.objects.find(w).is_some() {
                    pointers.push((at, w));
                }
                o += ptr;
            }
        }
        Ok(Contents {
            addr: h.objects.value_addr(id),
            offset,
            size,
            slot_addr: h.objects.addr[i],
            bytes,
            pointer_size: h.params.ptr_size,
            pointers,
        })
    }

    fn object(&mut self, addr: u64, src: &dyn ByteSource) -> Response {
        let id = match self.find(addr) {
            Ok(id) => id,
            Err(e) => return err(e),
        };
        let row = self.obj_row(id);
        let dominator = match self.a.idom(id) {
            Some(d) if d != self.heap().root_node() => Some(self.obj_row(d)),
            _ => None,
        };
        let h = self.heap();
        let i = id as usize;
        let malloc_header_type = h
            .header_types
            .binary_search_by_key(&id, |t| t.0)
            .ok()
            .map(|k| crate::analysis::naming::type_label(h, h.header_types[k].1));
        let roots = report::roots_of(h, id, 50)
            .into_iter()
            .map(|r| RootView {
                kind: r.kind.to_string(),
                label: r.label,
            })
            .collect();
        let alloc_stack = h
            .bucket_of(id)
            .map(|b| {
                h.bucket_frames(b)
                    .iter()
                    .map(|f| AllocFrame {
                        func: h.str(f.func).to_string(),
                        file: h.str(f.file).to_string(),
                        line: f.line,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let root = h.root_node();
        let distinct = |v: &[u32]| {
            let mut v: Vec<u32> = v.iter().copied().filter(|&t| t != root).collect();
            v.sort_unstable();
            v.dedup();
            v.len() as u64
        };
        let outgoing = distinct(h.succ.neighbors(id));
        let incoming = distinct(h.pred.neighbors(id));
        let contents = match self.contents(id, 0, CONTENTS_FIRST, src) {
            Ok(c) => c,
            Err(e) => return err(format!("reading the object's contents: {e}")),
        };
        Response::Object(Box::new(ObjectDetail {
            row,
            slot_addr: h.objects.addr[i],
            has_pointers: h.objects.flags[i] & flags::HAS_POINTERS != 0,
            malloc_header_type,
            dominator,
            roots,
            alloc_stack,
            outgoing,
            incoming,
            contents,
        }))
    }

    /// The dumps of the comparison in time order: `None` is the current dump, `Some(i)` a
    /// baseline. Sorted by MemStats.LastGC (then NumGC) when every dump has MemStats;
    /// otherwise the baselines follow the current dump in the order they were added.
    fn compare_order(&self) -> Vec<Option<usize>> {
        let mut order: Vec<Option<usize>> = std::iter::once(None)
            .chain((0..self.baselines.len()).map(Some))
            .collect();
        let key = |o: &Option<usize>| {
            let a = match o {
                None => &self.a,
                Some(i) => &self.baselines[*i].a,
            };
            a.heap.memstats.as_ref().map(|m| (m.last_gc, m.num_gc))
        };
        if order.iter().all(|o| key(o).is_some()) {
            order.sort_by_key(key);
        }
        order
    }

    pub fn compare_dumps(&self) -> Vec<CompareDump> {
        self.compare_order()
            .into_iter()
            .map(|o| {
                let (name, a) = match o {
                    None => (&self.name, &self.a),
                    Some(i) => (&self.baselines[i].name, &self.baselines[i].a),
                };
                CompareDump {
                    name: name.clone(),
                    objects: a.heap.objects.len() as u64,
                    bytes: a.heap.total_object_bytes(),
                    current: o.is_none(),
                }
            })
            .collect()
    }

    /// Keeps another analysed dump for the comparison.
    pub fn add_baseline(&mut self, name: String, a: Analysis) -> Response {
        if self.baselines.len() + 1 >= COMPARE_MAX {
            return err(format!("at most {COMPARE_MAX} dumps can be compared"));
        }
        let classes = Classes::compute(&a);
        self.baselines.push(Baseline { name, a, classes });
        Response::Compare {
            dumps: self.compare_dumps(),
        }
    }

    fn diff(&mut self) -> Response {
        if self.baselines.is_empty() {
            return Response::Compare {
                dumps: self.compare_dumps(),
            };
        }
        let order = self.compare_order();
        let dumps = self.compare_dumps();
        let list: Vec<(&Analysis, &Classes)> = order
            .iter()
            .map(|o| match o {
                None => (&self.a, &self.classes.classes),
                Some(i) => (&self.baselines[*i].a, &self.baselines[*i].classes),
            })
            .collect();
        let d = diff::diff(&list);
        let total_classes = d.classes.len() as u64;
        Response::Diff(Box::new(DiffView {
            dumps,
            warnings: d.warnings,
            classes: d
                .classes
                .into_iter()
                .take(DIFF_ROWS)
                .map(GrowthEntry::from)
                .collect(),
            total_classes,
            candidate_objects: d.leak_candidates.objects,
            candidate_bytes: d.leak_candidates.bytes,
            candidates: d
                .leak_candidates
                .classes
                .into_iter()
                .map(CandidateEntry::from)
                .collect(),
        }))
    }

    fn retainers(&mut self, addr: u64, max_paths: u32, excluded: &[u64]) -> Response {
        let id = match self.find(addr) {
            Ok(id) => id,
            Err(e) => return err(e),
        };
        let mut ex = Vec::new();
        for &e in excluded {
            match self.find(e) {
                Ok(x) if x != id => ex.push(x),
                Ok(_) => {}
                Err(e) => return err(e),
            }
        }
        let root_view = |r: report::RootRow| RootView {
            kind: r.kind.to_string(),
            label: r.label,
        };
        // A path can be a million objects long (a linked list): only its two ends become
        // rows, or the answer alone would need hundreds of MB in both wasm instances.
        let found = retainers::retainer_paths(&self.a, id, max_paths.clamp(1, 100) as usize, &ex);
        let mut paths = Vec::with_capacity(found.len());
        for p in found {
            let n = p.objects.len();
            let (head, tail) = if n > 2 * PATH_END {
                (PATH_END, PATH_END)
            } else {
                (n, 0)
            };
            let roots = report::roots_of(self.heap(), p.objects[0], 3);
            paths.push(PathView {
                roots: roots.into_iter().map(root_view).collect(),
                objects: (p.objects[..head].iter().chain(&p.objects[n - tail..]))
                    .map(|&o| self.obj_row(o))
                    .collect(),
                elided: (n - head - tail) as u64,
            });
        }
        Response::Retainers(RetainersView {
            target: self.obj_row(id),
            roots: report::roots_of(self.heap(), id, 10)
                .into_iter()
                .map(root_view)
                .collect(),
            paths,
            excluded: ex.iter().map(|&x| self.obj_row(x)).collect(),
        })
    }

    /// The shareable report of the open dump and the compared ones (`report::share`, the
    /// CLI's `dumpscope report`), redacted with `key`.
    pub fn report(&self, key: &ReportKey) -> share::Report {
        let dumps: Vec<(&str, &Analysis, &Classes)> = self
            .compare_order()
            .into_iter()
            .map(|o| match o {
                None => (self.name.as_str(), &self.a, &self.classes.classes),
                Some(i) => {
                    let b = &self.baselines[i];
                    (b.name.as_str(), &b.a, &b.classes)
                }
            })
            .collect();
        let mut opts = share::Options::new(Some(key.clone()));
        opts.generator = format!("dumpscope {} (web)", env!("CARGO_PKG_VERSION"));
        share::report(&dumps, &opts)
    }

    /// The flame graph of retained memory, without the nodes too narrow to see (built once).
    pub fn flame(&mut self) -> FlameView {
        if self.flame.is_none() {
            self.flame = Some(self.build_flame());
        }
        self.flame.clone().expect("just built")
    }

    fn build_flame(&self) -> FlameView {
        use crate::analysis::flame::{Flame, FrameKind, NO_PARENT};
        let flame = Flame::compute(&self.a, &self.classes.classes);
        let cum = flame.cumulative();
        let total_bytes = self.a.reachable_bytes();
        let min = (total_bytes as f64 * FLAME_MIN_SHARE).ceil() as u64;
        // The widest nodes; a parent is as wide as its child at least and comes first
        // among equals, so every node kept has its parent kept.
        let mut keep: Vec<u32> = (0..flame.nodes.len() as u32)
            .filter(|&i| cum[i as usize].0 >= min.max(1))
            .collect();
        keep.sort_unstable_by_key(|&i| (std::cmp::Reverse(cum[i as usize].0), i));
        keep.truncate(FLAME_NODES);
        keep.sort_unstable();
        let mut row_of = vec![u32::MAX; flame.nodes.len()];
        let mut nodes = Vec::with_capacity(keep.len());
        for &i in &keep {
            let node = &flame.nodes[i as usize];
            let parent = if node.parent == NO_PARENT {
                u32::MAX
            } else {
                row_of[node.parent as usize]
            };
            debug_assert!(
                node.parent == NO_PARENT || parent != u32::MAX,
                "parent kept"
            );
            row_of[i as usize] = nodes.len() as u32;
            let f = node.frame as usize;
            nodes.push(FlameRow {
                parent,
                name: flame.frames[f].clone(),
                kind: match flame.kinds[f] {
                    FrameKind::Class => "class",
                    FrameKind::Root => "root",
                    FrameKind::Deeper => "deeper",
                }
                .to_string(),
                self_bytes: node.bytes,
                self_objects: node.objects,
                cum_bytes: cum[i as usize].0,
                cum_objects: cum[i as usize].1,
            });
        }
        FlameView {
            total_bytes,
            omitted_nodes: (flame.nodes.len() - nodes.len()) as u64,
            nodes,
        }
    }

    /// Retained memory as a pprof profile: the bytes `dumpscope pprof` writes for this file.
    pub fn pprof(&self) -> Vec<u8> {
        let comment = crate::report::pprof::comment(&self.name);
        crate::report::pprof::retained_profile(&self.a, &self.classes.classes, &comment)
    }

    /// A whole table as CSV or JSON text, with its row count.
    pub fn export(
        &mut self,
        table: &TableKind,
        sort: &SortSpec,
        filter: &str,
        format: ExportFormat,
    ) -> Result<(String, u64), String> {
        match table {
            TableKind::Classes => {
                let order = self.class_order(sort, filter);
                let rows = &self.classes.rows;
                let items: Vec<&ClassRow> = order.iter().map(|&i| &rows[i as usize]).collect();
                Ok((export::classes(&items, format), items.len() as u64))
            }
            TableKind::Goroutines => {
                let order = self.group_order(sort, filter);
                let groups = &self.leaks().groups;
                let items: Vec<&GroupRow> = order.iter().map(|&i| &groups[i as usize]).collect();
                Ok((export::goroutines(&items, format), items.len() as u64))
            }
            _ => {
                let order = self.object_order(table, sort, filter)?;
                let mut out = export::ObjectWriter::new(format);
                for &i in order.iter() {
                    let row = self.obj_row(i);
                    out.push(&row);
                }
                Ok((out.finish(), order.len() as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/dumps/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn open(bytes: &[u8]) -> Session {
        let mut phases = Vec::new();
        let (a, _, _) = load(&SliceSource(bytes), &|| 0.0, &mut |p| phases.push(p)).expect("loads");
        assert!(phases.windows(2).all(|w| w[0].fraction <= w[1].fraction));
        assert!(phases.iter().any(|p| p.phase == "dominators"));
        Session::new("test.dump".into(), a)
    }

    fn page(
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

    fn objects(p: Page) -> Vec<ObjRow> {
        match p.rows {
            Rows::Objects(v) => v,
            other => panic!("not objects: {other:?}"),
        }
    }

    #[test]
    fn pages_sort_and_filter_objects() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let p = page(
            &mut s,
            TableKind::Objects,
            0,
            50,
            SortSpec::new("retained", true),
            "",
        );
        assert_eq!(p.total, n);
        let rows = objects(p);
        assert_eq!(rows.len(), 50);
        assert!(rows.windows(2).all(|w| w[0].retained >= w[1].retained));
        // Pages line up: the second page starts where the first ended.
        let second = objects(page(
            &mut s,
            TableKind::Objects,
            49,
            2,
            SortSpec::new("retained", true),
            "",
        ));
        assert_eq!(second[0], rows[49]);
        // Ascending shallow.
        let asc = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            100,
            SortSpec::new("shallow", false),
            "",
        ));
        assert!(asc.windows(2).all(|w| w[0].shallow <= w[1].shallow));
        // An address finds its object, interior addresses included.
        let target = &rows[0];
        let f = page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            &format!("0x{:x}", target.addr + 1),
        );
        assert_eq!(f.total, 1);
        assert_eq!(objects(f)[0].addr, target.addr);
        // An exact class filter keeps exactly that class's objects.
        let Rows::Classes(classes) = page(
            &mut s,
            TableKind::Classes,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        )
        .rows
        else {
            panic!("not classes")
        };
        let class = &classes[0];
        let f = page(
            &mut s,
            TableKind::Objects,
            0,
            PAGE_MAX,
            SortSpec::new("address", false),
            &format!("={}", class.class),
        );
        assert_eq!(f.total, class.count);
        let f = objects(f);
        assert!(f
            .iter()
            .all(|r| r.class == class.class && r.class_source == class.source));
        assert!(f.windows(2).all(|w| w[0].addr < w[1].addr));
        if class.count <= u64::from(PAGE_MAX) {
            assert_eq!(f.iter().map(|r| r.shallow).sum::<u64>(), class.shallow);
        }
    }

    #[test]
    fn cached_orders_hold_at_most_one_and_a_half_tables() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len();
        for key in ["retained", "shallow", "address", "class", "retained"] {
            for desc in [true, false] {
                page(
                    &mut s,
                    TableKind::Objects,
                    0,
                    10,
                    SortSpec::new(key, desc),
                    "",
                );
                let cached: usize = s.orders.iter().map(|(_, o)| o.len()).sum();
                assert!(cached <= n + n / 2, "{cached} ids cached for {n} objects");
            }
        }
        // A small filtered order still sits beside a full one.
        page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            "",
        );
        page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            "=no such class",
        );
        assert_eq!(s.orders.len(), 2);
    }

    #[test]
    fn classes_cover_every_object_once() {
        let bytes = fixture("basic-go1.19.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let p = page(
            &mut s,
            TableKind::Classes,
            0,
            PAGE_MAX,
            SortSpec::new("count", true),
            "",
        );
        let Rows::Classes(rows) = p.rows else {
            panic!("not classes")
        };
        assert!(
            p.total <= u64::from(PAGE_MAX),
            "the fixture has few classes"
        );
        assert_eq!(rows.len() as u64, p.total);
        assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), n);
        assert!(rows.windows(2).all(|w| w[0].count >= w[1].count));
        // The 1000 items of the map were allocated by main.newItem.
        assert!(
            rows.iter()
                .any(|r| r.class.contains("main.newItem") && r.count >= 1000),
            "{rows:#?}"
        );
    }

    #[test]
    fn goroutine_groups_fold_identical_stacks() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let p = page(
            &mut s,
            TableKind::Goroutines,
            0,
            100,
            SortSpec::new("count", true),
            "",
        );
        let Rows::Goroutines(groups) = p.rows else {
            panic!()
        };
        let w = groups
            .iter()
            .find(|g| g.top_function == "main.blockedWorker")
            .expect("a main.blockedWorker group");
        assert_eq!(w.count, 8);
        assert_eq!(w.wait_reason, "chan receive");
        assert_eq!(
            groups.iter().map(|g| g.count).sum::<u64>(),
            s.a.heap.goroutines.len() as u64
        );
        let f = page(
            &mut s,
            TableKind::Goroutines,
            0,
            100,
            SortSpec::new("count", true),
            "blockedworker",
        );
        assert_eq!(f.total, 1);
    }

    #[test]
    fn dominator_children_add_up_to_the_reachable_bytes() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let p = page(
            &mut s,
            TableKind::DomChildren { parent: None },
            0,
            PAGE_MAX,
            SortSpec::new("retained", true),
            "",
        );
        let total = p.total;
        let mut sum: u64 = 0;
        let mut offset = 0;
        loop {
            let rows = objects(page(
                &mut s,
                TableKind::DomChildren { parent: None },
                offset,
                PAGE_MAX,
                SortSpec::new("retained", true),
                "",
            ));
            if rows.is_empty() {
                break;
            }
            assert!(rows.windows(2).all(|w| w[0].retained >= w[1].retained));
            sum += rows.iter().map(|r| r.retained).sum::<u64>();
            offset += rows.len() as u32;
        }
        assert_eq!(offset as u64, total);
        assert_eq!(sum, s.a.reachable_bytes());
    }

    #[test]
    fn inspector_reads_contents_and_links_pointers() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let top = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let Response::Object(d) =
            s.handle(&Request::Object { addr: top.addr }, &SliceSource(&bytes))
        else {
            panic!()
        };
        assert_eq!(d.row.addr, top.addr);
        assert_eq!(
            d.contents.bytes.len() as u64,
            d.contents.size.min(u64::from(CONTENTS_FIRST))
        );
        assert!(!d.contents.pointers.is_empty());
        for &(_, target) in &d.contents.pointers {
            assert!(s.a.heap.objects.find(target).is_some());
        }
        assert!(d.outgoing > 0);
        assert!(!d.alloc_stack.is_empty(), "basic sets MemProfileRate = 1");
        // The rest of the bytes, on request.
        let Response::Contents(c) = s.handle(
            &Request::Contents {
                addr: top.addr,
                offset: u64::from(CONTENTS_FIRST),
                len: 1 << 20,
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert_eq!(c.offset, u64::from(CONTENTS_FIRST).min(c.size));
        assert!(c.bytes.len() as u32 <= CONTENTS_MAX);
        let out = page(
            &mut s,
            TableKind::Outgoing { addr: top.addr },
            0,
            10,
            SortSpec::new("address", false),
            "",
        );
        assert_eq!(out.total, d.outgoing);
        assert!(matches!(
            s.handle(&Request::Object { addr: 1 }, &SliceSource(&bytes)),
            Response::Error { .. }
        ));
    }

    #[test]
    fn retainers_name_their_roots_and_honour_ignores() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        // A leaf of the big slice: one retainer (the slice), held by a global.
        let slice = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let leaf = objects(page(
            &mut s,
            TableKind::DomChildren {
                parent: Some(slice.addr),
            },
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let Response::Retainers(r) = s.handle(
            &Request::Retainers {
                addr: leaf.addr,
                max_paths: 5,
                excluded: vec![],
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert!(!r.paths.is_empty());
        let p = &r.paths[0];
        assert!(!p.roots.is_empty() && !p.roots[0].label.is_empty());
        assert_eq!(p.objects.last().map(|o| o.addr), Some(leaf.addr));
        let Response::Retainers(r) = s.handle(
            &Request::Retainers {
                addr: leaf.addr,
                max_paths: 5,
                excluded: vec![slice.addr],
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert!(r
            .paths
            .iter()
            .all(|p| p.objects.iter().all(|o| o.addr != slice.addr)));
        assert_eq!(r.excluded.len(), 1);
    }

    #[test]
    fn export_writes_every_row() {
        let bytes = fixture("basic-go1.19.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let (csv, rows) = s
            .export(
                &TableKind::Objects,
                &SortSpec::new("retained", true),
                "",
                ExportFormat::Csv,
            )
            .unwrap();
        assert_eq!(rows, n);
        assert_eq!(csv.trim_end().split("\r\n").count() as u64, n + 1);
        let (json, _) = s
            .export(
                &TableKind::Goroutines,
                &SortSpec::new("count", true),
                "",
                ExportFormat::Json,
            )
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(v.as_array().is_some_and(|a| !a.is_empty()));
    }

    #[test]
    fn truncated_dumps_load_with_a_warning_and_bad_files_fail() {
        let bytes = fixture("basic-go1.27.dump");
        let cut = &bytes[..bytes.len() * 6 / 10];
        let s = open(cut);
        let summary = s.summary();
        assert!(summary.objects > 0);
        assert!(summary.decode_error.is_some());
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
        let e = load(&SliceSource(png), &|| 0.0, &mut |_| {})
            .err()
            .expect("fails");
        assert!(e.to_string().contains("PNG"), "{e}");
    }

    #[test]
    fn a_dump_over_the_memory_limit_is_refused_with_numbers() {
        let bytes = fixture("basic-go1.27.dump");
        let full = open(&bytes);
        let objects = full.a.heap.counts.object_records;
        // Needs: every object at the per-object cost, plus its pointers.
        let need_at_least =
            objects * (crate::load::PEAK_BYTES_PER_OBJECT + SESSION_BYTES_PER_OBJECT);
        let limit = need_at_least / 2;
        let e = load_within(&SliceSource(&bytes), &|| 0.0, &mut |_| {}, Some(limit))
            .err()
            .expect("refused");
        let LoadError::TooLarge(m) = &e else {
            panic!("{e}")
        };
        // Counted while decoding, so span-tail records are still included.
        assert!(
            m.contains(&format!("{} objects", full.a.heap.counts.object_records)),
            "{m}"
        );
        assert!(
            m.contains(&format!("{:.1} MB", limit as f64 / 1048576.0)),
            "{m}"
        );
        // With room to spare the same dump loads.
        assert!(load_within(&SliceSource(&bytes), &|| 0.0, &mut |_| {}, Some(1 << 30)).is_ok());
    }

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

    /// The flame view: a tree (parents first, children no wider than their parent and
    /// together with the parent's own bytes not wider either), the planted cache at the
    /// retained size `dumpscope classes` gives, and a round trip through JSON.
    #[test]
    fn flame_is_the_class_path_tree() {
        let bytes = fixture("leaky-go1.27.dump");
        let mut s = open(&bytes);
        let Response::Flame(v) = s.handle(&Request::Flame, &SliceSource(&bytes)) else {
            panic!("no flame")
        };
        assert_eq!(v.total_bytes, s.a.reachable_bytes());
        let mut children = vec![0u64; v.nodes.len()];
        let mut top = 0u64;
        for (i, n) in v.nodes.iter().enumerate() {
            assert!(n.cum_bytes >= n.self_bytes && n.cum_objects >= n.self_objects);
            if n.parent == u32::MAX {
                assert_eq!(n.kind, "root", "{}", n.name);
                top += n.cum_bytes;
            } else {
                assert!((n.parent as usize) < i, "a child before its parent");
                children[n.parent as usize] += n.cum_bytes;
            }
        }
        for (n, c) in v.nodes.iter().zip(&children) {
            assert!(
                n.self_bytes + c <= n.cum_bytes,
                "{}: children too wide",
                n.name
            );
        }
        assert!(top <= v.total_bytes);
        assert!(v.total_bytes - top <= v.omitted_nodes * v.total_bytes / 10_000);
        let cache = v
            .nodes
            .iter()
            .find(|n| n.name == "main.newSession (main.go:68)")
            .expect("the cache's sessions");
        assert_eq!(cache.cum_bytes, 384_000);
        assert_eq!(cache.self_objects, 1000);
        let back: FlameView = serde_json::from_str(&serde_json::to_string(&*v).unwrap()).unwrap();
        assert_eq!(back, *v);
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
    fn compare_orders_dumps_by_time_and_diffs_them() {
        let dumps: Vec<Vec<u8>> = (1..=3)
            .map(|i| fixture(&format!("growth-go1.27-{i}.dump")))
            .collect();
        // Open the middle one, add the last, then the first.
        let mut s = open(&dumps[1]);
        assert!(matches!(
            s.handle(&Request::Diff, &SliceSource(&dumps[1])),
            Response::Compare { ref dumps } if dumps.len() == 1
        ));
        for i in [2, 0] {
            let (a, _, _) = load(&SliceSource(&dumps[i]), &|| 0.0, &mut |_| {}).unwrap();
            let r = s.add_baseline(format!("growth-{}.dump", i + 1), a);
            assert!(matches!(r, Response::Compare { .. }), "{r:?}");
        }
        let Response::Diff(d) = s.handle(&Request::Diff, &SliceSource(&dumps[1])) else {
            panic!("no diff")
        };
        let names: Vec<&str> = d.dumps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["growth-1.dump", "test.dump", "growth-3.dump"]);
        assert!(d.dumps[1].current);
        let rec = &d.classes[0];
        assert!(rec.class.starts_with("main.newRecord"), "{rec:?}");
        assert_eq!(rec.counts, vec![500, 1000, 1500]);
        assert!(d
            .candidates
            .iter()
            .any(|c| c.class.starts_with("main.newRecord")));
        // A fourth dump is refused; removing one goes back to two.
        let (a, _, _) = load(&SliceSource(&dumps[0]), &|| 0.0, &mut |_| {}).unwrap();
        assert!(matches!(
            s.add_baseline("again".into(), a),
            Response::Error { .. }
        ));
        let Response::Compare { dumps: left } = s.handle(
            &Request::RemoveCompare { index: 0 },
            &SliceSource(&dumps[1]),
        ) else {
            panic!("not removed")
        };
        assert_eq!(left.len(), 2);
        assert!(matches!(
            s.handle(
                &Request::RemoveCompare { index: 0 },
                &SliceSource(&dumps[1])
            ),
            Response::Error { .. }
        ));
    }

    #[test]
    fn the_report_is_the_cli_report_of_the_compared_dumps() {
        let key = ReportKey::from_bytes([3; 32]);
        let dumps: Vec<Vec<u8>> = (1..=3)
            .map(|i| fixture(&format!("growth-go1.27-{i}.dump")))
            .collect();
        let mut s = open(&dumps[2]);
        let one = s.report(&key);
        assert!(one.redacted && one.growth.is_none() && one.timeline.is_none());
        for i in [0, 1] {
            let (a, _, _) = load(&SliceSource(&dumps[i]), &|| 0.0, &mut |_| {}).unwrap();
            s.add_baseline(format!("growth-{}.dump", i + 1), a);
        }
        let r = s.report(&key);
        let t = r.timeline.as_ref().expect("a timeline of three dumps");
        assert_eq!(t.dumps.len(), 3);
        assert_eq!(r.dumps[r.focus].name, "test.dump");
        let flagged: Vec<&str> = t.flagged_classes().map(|c| c.name.as_str()).collect();
        assert_eq!(flagged, vec!["main.newRecord (main.go:51)"]);
        let html = report::html::render(&r);
        assert!(html.contains("data-testid=\"timeline-chart\""));
        let addr = format!("0x{:x}", s.a.heap.objects.value_addr(0));
        assert!(!html.contains(&addr), "{addr}");
    }
}
