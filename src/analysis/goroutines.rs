//! Goroutine groups: goroutines parked in the same place for the same reason, with the
//! memory only their stacks keep alive, and a flag on groups that look leaked.

use std::collections::HashMap;

use super::dominators::NONE;
use super::naming::is_runtime_func;
use super::Analysis;
use crate::heap::{Heap, RootKind, StrId};

/// Wait reasons of goroutines blocked on synchronisation that only another goroutine can end.
const BLOCKING: &[&str] = &[
    "chan receive",
    "chan send",
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "select",
    "select (no cases)",
    "sync.Mutex.Lock",
    "sync.RWMutex.Lock",
    "sync.RWMutex.RLock",
    "sync.WaitGroup.Wait",
    "sync.Cond.Wait",
    "semacquire",
];

/// Groups of at least this many blocked goroutines are flagged as a likely leak.
pub const LEAK_MIN_GOROUTINES: usize = 10;

#[derive(Clone, Debug)]
pub struct Group {
    pub wait_reason: String,
    /// Function names, innermost first.
    pub stack: Vec<String>,
    /// The innermost function outside the runtime.
    pub top_function: String,
    /// The function holding the `go` statement, when the PC falls in a known function.
    pub created_by: Option<String>,
    pub goroutine_ids: Vec<u64>,
    pub system: bool,
    /// Bytes kept alive only through these goroutines' stacks.
    pub stack_retained: u64,
    /// Objects in `stack_retained`.
    pub stack_retained_objects: u64,
    pub max_wait_since: u64,
    pub looks_leaked: bool,
}

/// Groups sorted by size (largest first), then by retained bytes.
pub fn groups(a: &Analysis) -> Vec<Group> {
    let h = &a.heap;
    let creators = creator_index(h);
    let mut index: HashMap<(StrId, Vec<StrId>, Option<String>), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of_goroutine = vec![0usize; h.goroutines.len()];
    for (gi, g) in h.goroutines.iter().enumerate() {
        let funcs: Vec<StrId> = h.goroutine_frames(g).iter().map(|f| f.func).collect();
        let created_by = creators
            .lookup(g.gopc)
            .map(|s| h.str(s).to_string())
            .or_else(|| creator_from_wrapper(h, &funcs));
        let key = (g.wait_reason, funcs.clone(), created_by.clone());
        let next = groups.len();
        let k = *index.entry(key).or_insert(next);
        if k == next {
            let stack: Vec<String> = funcs.iter().map(|&f| h.str(f).to_string()).collect();
            let top_function = stack
                .iter()
                .find(|f| !is_runtime_func(f))
                .or(stack.first())
                .cloned()
                .unwrap_or_default();
            groups.push(Group {
                wait_reason: h.str(g.wait_reason).to_string(),
                stack,
                top_function,
                created_by,
                goroutine_ids: Vec::new(),
                system: g.system,
                stack_retained: 0,
                stack_retained_objects: 0,
                max_wait_since: 0,
                looks_leaked: false,
            });
        }
        let gr = &mut groups[k];
        gr.goroutine_ids.push(g.id);
        gr.max_wait_since = gr.max_wait_since.max(g.wait_since);
        group_of_goroutine[gi] = k;
    }

    // Memory held by a group's stacks: objects whose every root pointer is a frame word of
    // that group, counted by what they dominate (other paths into them cut their share).
    let mut owner: HashMap<u32, Option<usize>> = HashMap::new();
    for r in &h.roots {
        let g = match r.kind {
            RootKind::Frame { frame, .. } => {
                Some(group_of_goroutine[h.frames[frame as usize].goroutine as usize])
            }
            _ => None,
        };
        let e = owner.entry(r.object).or_insert(g);
        if *e != g {
            *e = None;
        }
    }
    let counts = a.dominated_counts();
    for (&obj, &g) in &owner {
        let Some(g) = g else { continue };
        if a.dom.idom(obj) != NONE {
            groups[g].stack_retained += a.retained[obj as usize];
            groups[g].stack_retained_objects += u64::from(counts[obj as usize]);
        }
    }
    for g in &mut groups {
        g.looks_leaked = !g.system
            && g.goroutine_ids.len() >= LEAK_MIN_GOROUTINES
            && BLOCKING.contains(&g.wait_reason.as_str())
            && !is_runtime_func(&g.top_function);
    }
    groups.sort_by(|x, y| {
        y.goroutine_ids
            .len()
            .cmp(&x.goroutine_ids.len())
            .then(y.stack_retained.cmp(&x.stack_retained))
    });
    groups
}

/// Maps a PC to the function containing it, using the entry PC and the highest PC seen in
/// stack frames of each function (a function's code is contiguous from its entry).
struct CreatorIndex {
    ranges: Vec<(u64, u64, StrId)>,
}

impl CreatorIndex {
    fn lookup(&self, pc: u64) -> Option<StrId> {
        let i = self.ranges.partition_point(|r| r.0 <= pc);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        (pc <= r.1).then_some(r.2)
    }
}

fn creator_index(h: &Heap) -> CreatorIndex {
    let mut m: HashMap<u64, (u64, StrId)> = HashMap::new();
    for f in &h.frames {
        if f.entry_pc == 0 {
            continue;
        }
        let e = m.entry(f.entry_pc).or_insert((f.pc, f.func));
        e.0 = e.0.max(f.pc);
    }
    let mut ranges: Vec<(u64, u64, StrId)> = m
        .into_iter()
        .map(|(entry, (hi, f))| (entry, hi, f))
        .collect();
    ranges.sort_unstable_by_key(|r| r.0);
    CreatorIndex { ranges }
}

/// The creator from the name of the goroutine's entry function: a `go` statement with
/// arguments or a closure runs a compiler-made wrapper named `<creator>.gowrapN` (Go 1.22+)
/// or `<creator>.funcN`, right under `runtime.goexit`.
fn creator_from_wrapper(h: &Heap, funcs: &[StrId]) -> Option<String> {
    let outer = funcs
        .iter()
        .rev()
        .map(|&f| h.str(f))
        .find(|f| *f != "runtime.goexit")?;
    let (prefix, last) = outer.rsplit_once('.')?;
    let is_wrapper = ["gowrap", "func"].iter().any(|w| {
        last.strip_prefix(w)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    (is_wrapper && !prefix.is_empty()).then(|| prefix.to_string())
}
