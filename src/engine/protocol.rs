//! The messages between the UI thread and the analysis engine.
//!
//! The engine is hosted by the Web Worker or by `dumpscope serve`. To the worker, every
//! message is a JS object `{ json: "<serde_json of Envelope>", blob?: Blob }`: the JSON
//! carries the typed message, `blob` carries a `File`/`Blob` handle where one travels (the
//! dump to load, an export to save). To `dumpscope serve`, a request is the body of a
//! `POST /api` and the answer is the response's JSON, or the file with the envelope in a
//! header. The UI never reads the dump itself.
//!
//! The UI asks for *pages* of rows (offset, limit, sort, filter) and gets `total` back, as
//! Chrome DevTools' heap snapshot worker does: no table is ever sent whole.
//!
//! The rows are `report`'s, re-exported: the CLI, the report and the web app show one row
//! per concept. What is defined here is what only the web app needs: paging, object rows
//! with their dominator counts, the inspector's detail, the flame and compare views.

use serde::{Deserialize, Serialize};

// Rows the HTML/JSON report carries too: one definition, so both say the same.
pub use crate::report::share::{CandidateEntry, FindingEntry, Growth, GrowthEntry, ShareEntry};
pub use crate::report::{ClassRow, GroupRow, Reconciliation, RootRow, Summary};

/// A request with the id its response will carry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestEnvelope {
    pub id: u32,
    pub req: Request,
}

/// A response; `id` is the request's, or 0 for unsolicited events (progress, crash).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseEnvelope {
    pub id: u32,
    pub resp: Response,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Analyse the `Blob` sent beside the message.
    Load { name: String },
    /// Fetch a same-origin URL (the sample dump) and analyse it.
    LoadUrl { url: String },
    /// Name the open dump's globals and types from the executable that wrote it (the Blob
    /// beside the message). Answered with a fresh `Loaded`, or `Error`.
    AttachExe { name: String },
    /// A page of rows.
    Page(PageRequest),
    /// Everything the inspector shows about the object containing `addr`.
    Object { addr: u64 },
    /// Raw bytes of an object, read again from the file.
    Contents { addr: u64, offset: u64, len: u32 },
    /// Paths from roots to the object, ignoring the `excluded` objects as retainers.
    Retainers {
        addr: u64,
        max_paths: u32,
        excluded: Vec<u64>,
    },
    /// The leak suspects, ranked.
    Findings,
    /// Load the Blob sent beside the message as another dump of the same process, to
    /// compare with the current one. Dumps are put in time order by MemStats.LastGC.
    LoadCompare { name: String },
    /// Drop a compared dump (index into the time-ordered list).
    RemoveCompare { index: u32 },
    /// The diff of the current dump and the compared ones.
    Diff,
    /// A whole table (sorted and filtered like the view) as CSV or JSON, sent back as a Blob.
    Export {
        table: TableKind,
        sort: SortSpec,
        filter: String,
        format: ExportFormat,
    },
    /// The shareable report (`report::share`) of the open dump and the compared ones, as one
    /// self-contained HTML file sent back as a Blob. Redacted with `key` (64 hex digits; the
    /// UI keeps it in localStorage, the worker has no storage).
    Report { key: String },
    /// Retained memory as a pprof profile (`report::pprof`), sent back as a Blob.
    Pprof,
    /// The flame graph of retained memory (`analysis::flame`).
    Flame,
    /// The overview's treemap: the largest of `cells` children of the dominator tree's top,
    /// or with `drill`, of the node where a chain of dominating objects splits.
    Treemap { cells: u32, drill: bool },
    /// What the engine holds: `Loaded` as the open dump's load answered it (names from an
    /// executable included), or `Ready` when no dump is open. `dumpscope serve` opens its
    /// dump before the page loads: this is how the page learns which one.
    Status,
}

/// The tables the worker can page through.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableKind {
    /// Every object (default sort: retained, largest first).
    Objects,
    /// Unreachable objects.
    Lost,
    /// Objects grouped by their best name.
    Classes,
    /// Goroutines grouped by status, wait reason and stack.
    Goroutines,
    /// Children of a node in the dominator tree; `parent: None` is the root node.
    DomChildren { parent: Option<u64> },
    /// Distinct objects the object at `addr` points at.
    Outgoing { addr: u64 },
    /// Distinct objects that point at the object at `addr`.
    Incoming { addr: u64 },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct SortSpec {
    /// A column key (see [`columns`]); unknown keys fall back to the table's default.
    pub key: String,
    pub desc: bool,
}

impl SortSpec {
    pub fn new(key: &str, desc: bool) -> SortSpec {
        SortSpec {
            key: key.to_string(),
            desc,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PageRequest {
    pub table: TableKind,
    pub offset: u32,
    pub limit: u32,
    pub sort: SortSpec,
    /// Case-insensitive substring of the class name; `=name` for an exact class;
    /// `0x…` for the object containing that address.
    pub filter: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The worker's message handler is installed; as the answer to `Status`, no dump is open.
    Ready,
    Progress(Progress),
    Loaded(Box<Loaded>),
    /// Nothing usable: the decoder's message (offset and record included).
    LoadFailed {
        message: String,
    },
    Page(Page),
    Object(Box<ObjectDetail>),
    Contents(Contents),
    Retainers(RetainersView),
    Findings {
        reachable_bytes: u64,
        findings: Vec<FindingEntry>,
    },
    /// A compared dump was loaded or removed (no diff yet when fewer than two dumps).
    Compare {
        dumps: Vec<CompareDump>,
    },
    Diff(Box<DiffView>),
    /// The export travels as the Blob beside the message.
    Export {
        file_name: String,
        rows: u64,
    },
    /// The report travels as the Blob beside the message.
    Report {
        file_name: String,
    },
    Flame(Box<FlameView>),
    Treemap(Box<TreemapView>),
    /// The pprof profile travels as the Blob beside the message.
    Pprof {
        file_name: String,
        bytes: u64,
    },
    /// A request could not be answered (e.g. no object at an address).
    Error {
        message: String,
    },
    /// The worker panicked; it is dead and must be restarted.
    Crashed {
        message: String,
    },
}

/// Load progress. `fraction` is the overall estimate in 0..=1.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    pub phase: String,
    pub fraction: f64,
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub objects: u64,
    pub elapsed_ms: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Loaded {
    pub file_name: String,
    pub file_size: u64,
    pub decode_ms: f64,
    pub analysis_ms: f64,
    /// The memory the engine holds after the analysis, at its peak: the worker's wasm
    /// linear memory (it never shrinks), or the peak resident memory of `dumpscope serve`.
    #[serde(default)]
    pub wasm_memory_bytes: u64,
    pub summary: Summary,
    /// The executable that named the dump's globals and types, once one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<LoadedExe>,
}

/// The executable that named the open dump.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LoadedExe {
    pub file_name: String,
    /// e.g. "ELF amd64, with symbols and DWARF".
    pub described: String,
    /// What proved it wrote the dump, e.g. "data and bss segments, go1.27.3, 76 stack
    /// frames' functions".
    pub matched: String,
}

/// One object in a table.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ObjRow {
    pub id: u32,
    /// The Go pointer value (`0x…`), the object's name in URLs.
    pub address: String,
    pub addr: u64,
    pub shallow: u64,
    pub retained: u64,
    pub class: String,
    /// How the class was named.
    pub class_source: crate::analysis::naming::NameSource,
    pub reachable: bool,
    /// Children in the dominator tree (objects it alone keeps alive).
    pub dominated: u32,
}

/// One dump of a comparison, in time order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CompareDump {
    pub name: String,
    pub objects: u64,
    pub bytes: u64,
    /// The dump the other views show.
    pub current: bool,
}

/// The flame graph of retained memory: the dominator tree merged by class path
/// (`analysis::flame`), the nodes too narrow to see left out.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FlameView {
    /// Reachable bytes: the width of the whole graph.
    pub total_bytes: u64,
    /// Parents before children.
    pub nodes: Vec<FlameRow>,
    /// Nodes left out: each under [`FLAME_MIN_SHARE`] of the total, or past [`FLAME_NODES`].
    pub omitted_nodes: u64,
}

/// A flame node is sent when it holds at least this share of the reachable bytes.
pub const FLAME_MIN_SHARE: f64 = 1e-4;
/// Flame nodes sent at most (the largest; a parent is never smaller than its child).
pub const FLAME_NODES: usize = 5000;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FlameRow {
    /// Index into [`FlameView::nodes`]; `u32::MAX` for a root's node.
    pub parent: u32,
    pub name: String,
    /// "class", "root" or "deeper".
    pub kind: String,
    /// Bytes and objects whose path ends here.
    pub self_bytes: u64,
    pub self_objects: u64,
    /// With everything below: what the node's objects retain.
    pub cum_bytes: u64,
    pub cum_objects: u64,
}

/// The overview's treemap of retained memory: a node of the dominator tree and its largest
/// children. The node is the top (every root) unless one object holds at least
/// [`TREEMAP_DOMINATES`] of it and keeps most of that in objects below it: then the treemap
/// descends (at most [`TREEMAP_DEPTH`] objects) to where the retained bytes split.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TreemapView {
    /// The objects descended through, from the root-held one down; the cells are the last
    /// one's children. Empty at the top.
    pub chain: Vec<ObjRow>,
    /// What holds the chain's first object: the global's name and field with an
    /// executable (`main.registry .tenants`), otherwise the root's label.
    pub root_label: Option<String>,
    /// The bytes the treemap divides: the reachable bytes, or the last chain object's
    /// retained bytes.
    pub bytes: u64,
    /// The last chain object's own size (0 at the top).
    pub self_bytes: u64,
    /// The node's largest children, largest first.
    pub cells: Vec<ObjRow>,
    /// How many children the node has.
    pub children: u64,
}

/// The treemap descends into a child holding at least this share of its parent's bytes.
pub const TREEMAP_DOMINATES: f64 = 0.85;
/// Objects the treemap descends through at most (a long list dominates node by node).
pub const TREEMAP_DEPTH: usize = 32;

/// `analysis::diff` of 2 or 3 dumps of one process.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DiffView {
    pub dumps: Vec<CompareDump>,
    /// Its `dumps` index `DiffView::dumps`; its classes are the first [`DIFF_ROWS`].
    pub growth: Growth,
}

/// Class rows a diff sends (ranked by growth; the rest only count).
pub const DIFF_ROWS: usize = 500;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "rows", content = "items", rename_all = "snake_case")]
pub enum Rows {
    Objects(Vec<ObjRow>),
    Classes(Vec<ClassRow>),
    Goroutines(Vec<GroupRow>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Objects(v) => v.len(),
            Rows::Classes(v) => v.len(),
            Rows::Goroutines(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Page {
    pub offset: u32,
    pub total: u64,
    pub rows: Rows,
}

/// A frame of an allocation stack.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AllocFrame {
    pub func: String,
    pub file: String,
    pub line: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ObjectDetail {
    pub row: ObjRow,
    /// Where the slot starts (the address differs by 8 for Go 1.22+ malloc-header objects).
    pub slot_addr: u64,
    pub has_pointers: bool,
    pub malloc_header_type: Option<String>,
    /// The immediate dominator (None for objects held by a root directly, or unreachable).
    pub dominator: Option<ObjRow>,
    pub roots: Vec<RootRow>,
    pub alloc_stack: Vec<AllocFrame>,
    pub outgoing: u64,
    pub incoming: u64,
    /// The first bytes of the contents.
    pub contents: Contents,
}

/// A run of an object's bytes with the words that point into other objects.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Contents {
    pub addr: u64,
    /// Offset of `bytes[0]` from the slot start.
    pub offset: u64,
    /// Slot size.
    pub size: u64,
    pub slot_addr: u64,
    pub bytes: Vec<u8>,
    pub pointer_size: u8,
    /// (offset from slot start, target address) for words that hold a heap object address.
    pub pointers: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PathView {
    pub roots: Vec<RootRow>,
    /// From the root-held object down to the target; with `elided`, the first and last
    /// halves of the path.
    pub objects: Vec<ObjRow>,
    /// Objects left out between the two halves of `objects` (a very long path).
    #[serde(default)]
    pub elided: u64,
    /// The path as Go fields, as `report::PathRow::fields` (`main.registry .tenants [map
    /// value] .items`), when an executable typed the heap; of a long path, its first half
    /// then `…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RetainersView {
    pub target: ObjRow,
    pub roots: Vec<RootRow>,
    pub paths: Vec<PathView>,
    /// The objects ignored as retainers, as rows.
    pub excluded: Vec<ObjRow>,
}

/// Columns of each table: (key, title, numeric). The first sortable key is the default.
pub fn columns(table: &TableKind) -> &'static [(&'static str, &'static str, bool)] {
    match table {
        TableKind::Classes => &[
            ("name", "class", false),
            ("count", "objects", true),
            ("shallow", "shallow", true),
            ("retained", "retained", true),
            ("share", "of reachable", true),
        ],
        TableKind::Goroutines => &[
            ("count", "goroutines", true),
            ("wait_reason", "wait reason", false),
            ("top_function", "function", false),
            ("stack_retained", "held by stacks", true),
        ],
        _ => &[
            ("address", "address", false),
            ("shallow", "shallow", true),
            ("retained", "retained", true),
            ("class", "class", false),
        ],
    }
}

/// The sort a table starts with.
pub fn default_sort(table: &TableKind) -> SortSpec {
    match table {
        TableKind::Classes => SortSpec::new("retained", true),
        TableKind::Goroutines => SortSpec::new("count", true),
        TableKind::Lost => SortSpec::new("shallow", true),
        TableKind::Outgoing { .. } | TableKind::Incoming { .. } => SortSpec::new("address", false),
        _ => SortSpec::new("retained", true),
    }
}
