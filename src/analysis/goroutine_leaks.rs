//! Goroutine leaks decided by reachability, as Go 1.26's `goroutineleak` profile decides
//! them: a goroutine blocked on a channel is leaked when no code that can still run can
//! reach that channel. Needs the executable: each blocked goroutine's `runtime.g` object
//! (typed by it) says what it waits on (`g.waiting`, a `runtime.sudog` per channel, linked
//! by `waitlink` in a `select`, each with its channel in `c`).
//!
//! The marking starts from every root except the stack frames of the goroutines blocked on
//! channels, and does not walk through the runtime's own records of goroutines (`runtime.g`,
//! `runtime.sudog`: `allgs` reaches every goroutine, and a channel's wait queue its
//! waiters). A blocked goroutine whose channel is marked can be woken: its stack is marked
//! too, and the marking goes on until nothing changes. Those left are leaked, by proof.
//! Goroutines blocked on a nil channel or an empty `select` are leaked outright. Those
//! blocked on mutexes, wait groups or semaphores are not decided (their semaphore address
//! is not followed yet).

use std::collections::HashMap;

use super::goroutines::Group;
use super::leaks::{Evidence, Finding};
use super::Analysis;
use crate::exe::model::{Key, Node, Shape, HOLDS_ELEMENTS};
use crate::exe::Executable;
use crate::format::read_word;
use crate::heap::{Heap, ObjectId, RootKind};

/// Wait reasons of a goroutine parked on channels.
const ON_CHANNELS: &[&str] = &["chan receive", "chan send", "select"];
/// Wait reasons of a goroutine parked on a lock, wait group or semaphore.
const ON_SEMAPHORES: &[&str] = &[
    "sync.Mutex.Lock",
    "sync.RWMutex.Lock",
    "sync.RWMutex.RLock",
    "sync.WaitGroup.Wait",
    "sync.Cond.Wait",
    "semacquire",
];
/// Wait reasons of a goroutine that nothing can ever wake.
const FOREVER: &[&str] = &[
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "select (no cases)",
];

/// What became of one goroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not blocked on a channel: nothing to decide.
    NotBlocked,
    /// Blocked on channels that no running code reaches: each with its element type's
    /// descriptor address (0 when unknown).
    Leaked { channels: Vec<(ObjectId, u64)> },
    /// Blocked on a channel something else still reaches.
    Reachable,
    /// Blocked, but the dump and executable do not say on what (the reason).
    Undecided(&'static str),
}

/// The verdict for each goroutine of `heap.goroutines`, or None without an executable.
pub fn verdicts(
    a: &Analysis,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<Vec<Verdict>> {
    let h = &a.heap;
    let names = h.exe.as_ref()?;
    let (ps, be) = (h.params.ptr_size, h.params.big_endian);
    let nodes = &names.nodes;
    let struct_field = |k: Key, name: &str| -> Option<u64> {
        let n: &Node = nodes.get(&(k & !HOLDS_ELEMENTS))?;
        match &n.shape {
            Shape::Struct(f) => f.iter().find(|f| &*f.name == name).map(|f| f.offset),
            _ => None,
        }
    };
    // The channels each goroutine waits on.
    let mut out = Vec::with_capacity(h.goroutines.len());
    let mut waits: Vec<Option<Vec<ObjectId>>> = Vec::with_capacity(h.goroutines.len());
    for g in &h.goroutines {
        let reason = h.str(g.wait_reason);
        if g.system || g.status != 4 {
            out.push(Verdict::NotBlocked);
            waits.push(None);
            continue;
        }
        if FOREVER.contains(&reason) {
            out.push(Verdict::Leaked {
                channels: Vec::new(),
            });
            waits.push(None);
            continue;
        }
        if !ON_CHANNELS.contains(&reason) {
            out.push(if ON_SEMAPHORES.contains(&reason) {
                Verdict::Undecided(
                    "waits on a mutex, wait group or semaphore, whose address is not read yet",
                )
            } else {
                Verdict::NotBlocked
            });
            waits.push(None);
            continue;
        }
        let chans = waited_channels(h, g.addr, &struct_field, ps, be, read);
        match chans {
            Ok(c) => {
                out.push(Verdict::Reachable);
                waits.push(Some(c));
            }
            Err(why) => {
                out.push(Verdict::Undecided(why));
                waits.push(None);
            }
        }
    }

    if waits.iter().all(Option::is_none) {
        return Some(out);
    }
    // Mark from every root but the frames of goroutines blocked on channels.
    let skip: Vec<bool> = names
        .keys
        .iter()
        .map(|&k| matches!(h.exe_type_name(k), Some("runtime.g" | "runtime.sudog")))
        .collect();
    let n = h.objects.len();
    let mut marked = vec![false; n];
    let mut stack: Vec<ObjectId> = Vec::new();
    let mut frames_of: HashMap<u32, Vec<ObjectId>> = HashMap::new();
    let blocked = |gi: usize| waits[gi].is_some() || matches!(out[gi], Verdict::Leaked { .. });
    for r in &h.roots {
        if let RootKind::Frame { frame, .. } = r.kind {
            let gi = h.frames[frame as usize].goroutine;
            if blocked(gi as usize) {
                frames_of.entry(gi).or_default().push(r.object);
                continue;
            }
        }
        stack.push(r.object);
    }
    let mark = |stack: &mut Vec<ObjectId>, marked: &mut Vec<bool>| {
        while let Some(o) = stack.pop() {
            let i = o as usize;
            if i >= n || marked[i] {
                continue;
            }
            marked[i] = true;
            let t = names.object_types.get(i).copied().unwrap_or(0) as usize;
            if skip.get(t).copied().unwrap_or(false) {
                continue;
            }
            stack.extend_from_slice(h.succ.neighbors(o));
        }
    };
    mark(&mut stack, &mut marked);
    loop {
        let mut woke = false;
        for (gi, w) in waits.iter_mut().enumerate() {
            let Some(chans) = w else { continue };
            if chans.iter().any(|&c| marked[c as usize]) {
                *w = None;
                woke = true;
                if let Some(f) = frames_of.remove(&(gi as u32)) {
                    stack.extend(f);
                }
            }
        }
        if !woke {
            break;
        }
        mark(&mut stack, &mut marked);
    }
    // Every channel header has the runtime's hchan layout: `elemtype` names the element.
    let elemtype = nodes.values().find_map(|n| match &n.shape {
        Shape::Struct(f) if f.iter().any(|f| &*f.name == "dataqsiz") => {
            f.iter().find(|f| &*f.name == "elemtype").map(|f| f.offset)
        }
        _ => None,
    });
    for (gi, w) in waits.into_iter().enumerate() {
        if let Some(chans) = w {
            let channels = chans
                .into_iter()
                .map(|c| {
                    let at = elemtype.map(|off| h.objects.value_addr(c) + off);
                    let t = at.and_then(|at| {
                        let i = c as usize;
                        let off = h.objects.file_offset.get(i) + (at - h.objects.addr[i]);
                        read_word(&read(off, usize::from(ps))?, 0, ps, be)
                    });
                    (c, t.unwrap_or(0))
                })
                .collect();
            out[gi] = Verdict::Leaked { channels };
        }
    }
    Some(out)
}

/// The channels a parked goroutine waits on: its `g.waiting` sudog and those linked from it.
fn waited_channels(
    h: &Heap,
    g_addr: u64,
    field: &dyn Fn(Key, &str) -> Option<u64>,
    ps: u8,
    be: bool,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Result<Vec<ObjectId>, &'static str> {
    let word = |addr: u64, read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>| {
        let o = h.objects.find(addr)?;
        let i = o as usize;
        let at = h.objects.file_offset.get(i) + (addr - h.objects.addr[i]);
        read_word(&read(at, usize::from(ps))?, 0, ps, be)
    };
    let g = h
        .objects
        .find(g_addr)
        .ok_or("its runtime.g is not in the heap")?;
    let gk = h.object_type(g).ok_or("its runtime.g is not typed")?;
    let waiting = field(gk, "waiting").ok_or("runtime.g has no waiting field")?;
    let mut sudog = word(g_addr + waiting, read).ok_or("unreadable runtime.g")?;
    let mut chans = Vec::new();
    for _ in 0..4096 {
        if sudog == 0 {
            break;
        }
        let s = h
            .objects
            .find(sudog)
            .ok_or("its sudog is not in the heap")?;
        let sk = h.object_type(s).ok_or("its sudog is not typed")?;
        let (c, link) = (
            field(sk, "c").ok_or("runtime.sudog has no c field")?,
            field(sk, "waitlink").ok_or("runtime.sudog has no waitlink field")?,
        );
        let ch = word(sudog + c, read).ok_or("unreadable sudog")?;
        if ch != 0 {
            chans.push(h.objects.find(ch).ok_or("its channel is not in the heap")?);
        }
        sudog = word(sudog + link, read).ok_or("unreadable sudog")?;
    }
    if chans.is_empty() {
        return Err("no channel in its wait record");
    }
    Ok(chans)
}

/// Replaces the heuristic goroutine findings: a group with goroutines proved leaked becomes
/// a `goroutine_leak` finding that says so (with the channel's type); a group whose
/// channels are reachable is no finding; an undecided group keeps its heuristic finding,
/// with the reason.
pub fn findings(
    a: &Analysis,
    groups: &[Group],
    verdicts: &[Verdict],
    exe: Option<&Executable>,
    reachable: u64,
) -> Vec<Finding> {
    let h = &a.heap;
    let by_id: HashMap<u64, usize> = h
        .goroutines
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id, i))
        .collect();
    let mut out = Vec::new();
    for g in groups {
        let vs: Vec<&Verdict> = g
            .goroutine_ids
            .iter()
            .filter_map(|id| by_id.get(id).and_then(|&i| verdicts.get(i)))
            .collect();
        let leaked: Vec<&Vec<(ObjectId, u64)>> = vs
            .iter()
            .filter_map(|v| match v {
                Verdict::Leaked { channels } => Some(channels),
                _ => None,
            })
            .collect();
        let undecided = vs.iter().find_map(|v| match v {
            Verdict::Undecided(why) => Some(*why),
            _ => None,
        });
        let mut chans: Vec<(ObjectId, u64)> =
            leaked.iter().flat_map(|c| c.iter().copied()).collect();
        chans.sort_unstable();
        chans.dedup();
        let bias = h.exe.as_ref().map_or(0, |n| n.bias);
        let mut types: Vec<String> = chans
            .iter()
            .map(|&(c, t)| {
                let elem = h
                    .exe_type_name(t)
                    .map(str::to_string)
                    .or_else(|| exe.and_then(|e| e.type_name(t.wrapping_sub(bias))));
                match elem {
                    Some(e) if t != 0 => format!("chan {e}"),
                    _ => h
                        .object_type(c)
                        .and_then(|k| h.exe_type_name(k))
                        .map_or_else(|| "a channel".to_string(), chan_type),
                }
            })
            .collect();
        types.sort();
        types.dedup();
        let share = |b: u64| {
            if reachable == 0 {
                0.0
            } else {
                b as f64 / reachable as f64
            }
        };
        let evidence = |extra: Vec<super::leaks::Share>| Evidence {
            classes: extra,
            wait_reason: Some(g.wait_reason.clone()),
            function: Some(g.top_function.clone()),
            created_by: g.created_by.clone(),
            stack: g.stack.clone(),
            path_to: None,
            ..Evidence::default()
        };
        if !leaked.is_empty() {
            let n = leaked.len();
            let on = if types.is_empty() {
                "nothing (a nil channel or an empty select)".to_string()
            } else {
                types.join(", ")
            };
            let channels = chans.len();
            let bytes: u64 = chans
                .iter()
                .map(|&(c, _)| h.objects.size.get(c as usize))
                .sum();
            out.push(Finding {
                kind: "goroutine_leak",
                title: format!(
                    "{n} {} leaked (proved): blocked on {} in {} on {on}, which only {} own {} reach",
                    if n == 1 { "goroutine" } else { "goroutines" },
                    g.wait_reason,
                    g.top_function,
                    if n == 1 { "its" } else { "their" },
                    if n == 1 { "stack can" } else { "stacks" },
                ),
                retained_bytes: g.stack_retained,
                share: share(g.stack_retained),
                objects: g.stack_retained_objects,
                goroutines: n as u64,
                evidence: evidence(if channels == 0 {
                    Vec::new()
                } else {
                    vec![super::leaks::Share {
                        name: format!("{on} waited on"),
                        objects: channels as u64,
                        bytes,
                    }]
                }),
            });
        } else if let (Some(why), true) = (undecided, g.looks_leaked) {
            out.push(Finding {
                kind: "goroutine_leak",
                title: format!(
                    "{} goroutines blocked on {} in {} look leaked (not decided: {why})",
                    g.goroutine_ids.len(),
                    g.wait_reason,
                    g.top_function
                ),
                retained_bytes: g.stack_retained,
                share: share(g.stack_retained),
                objects: g.stack_retained_objects,
                goroutines: g.goroutine_ids.len() as u64,
                evidence: evidence(Vec::new()),
            });
        }
    }
    out
}

/// `chan.hdr[main.result]` → `chan main.result`.
fn chan_type(name: &str) -> String {
    name.strip_prefix("chan.hdr[")
        .and_then(|s| s.strip_suffix(']'))
        .map_or_else(|| name.to_string(), |t| format!("chan {t}"))
}
