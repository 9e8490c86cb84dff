//! Types flattened for the walk: for each type, the offsets of its pointer-holding words
//! and what to do with each, so walking an object is a loop over a short list instead of a
//! descent through its type with a lookup per field.
//!
//! Type keys are interned to `u32` indices (index 0 means "untyped"); each slot carries the
//! index and the element stride the target is checked against, so following a pointer
//! costs no hash lookup.

use crate::exe::model::{Key, Model, Shape, Special, CLOSURE_KEY, HOLDS_ELEMENTS};
use crate::heap::hash::FastMap;

/// No plan: the type holds no pointers (or nothing describes it).
pub const NO_PLAN: u32 = u32::MAX;

/// Arrays with more slots than this are walked as a nested plan, not unrolled.
const UNROLL: usize = 1024;

/// No plan holds more slots (a type from a malformed file could nest without end).
const MAX_SLOTS: usize = 1 << 16;

/// What one pointer-holding word of a value means.
#[derive(Clone, Copy, Debug)]
pub enum Act {
    /// The word points at values of type `key` (an interned index), `stride` bytes each
    /// (1 for string bytes): the target is typed `key`.
    To { key: u32, stride: u64 },
    /// An interface: the dynamic type in this word, the data in the next.
    Iface { methods: bool },
    /// A Swiss-table map header: the word is `dirPtr`, the map is small (one group) when the
    /// word at `dir_len` (relative to the header) is 0.
    Swiss {
        dir_len: u64,
        group: u32,
        group_stride: u64,
        dir: u32,
        dir_stride: u64,
    },
    /// `count` values of plan `plan`, `stride` bytes apart.
    Array { plan: u32, count: u64, stride: u64 },
}

#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub off: u64,
    pub act: Act,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub slots: Vec<Slot>,
}

/// Interned keys and their plans, built on first use.
pub struct Plans {
    /// Interned keys; `keys[0]` is unused (index 0 is "untyped").
    pub keys: Vec<Key>,
    index: FastMap<Key, u32>,
    /// Per interned key: the plan of the values an object of that key holds (for a key
    /// with [`HOLDS_ELEMENTS`], its elements), and their stride; built lazily.
    walk: Vec<Option<(u32, u64)>>,
    pub plans: Vec<Plan>,
    /// Plans of keys as values (not as objects), by key.
    value_plans: FastMap<Key, u32>,
    /// Dynamic types seen in interfaces: (interned target, stride), or none.
    dynamic: FastMap<Key, Option<(u32, u64)>>,
}

impl Plans {
    pub fn new() -> Plans {
        Plans {
            keys: vec![0],
            index: FastMap::default(),
            walk: vec![None],
            plans: Vec::new(),
            value_plans: FastMap::default(),
            dynamic: FastMap::default(),
        }
    }

    pub fn intern(&mut self, k: Key) -> u32 {
        if let Some(&i) = self.index.get(&k) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k);
        self.walk.push(None);
        self.index.insert(k, i);
        i
    }

    /// The plan and stride of the values an object typed `key` (interned) holds.
    pub fn walk_plan(&mut self, model: &mut Model<'_>, key: u32) -> (u32, u64) {
        if let Some(p) = self.walk[key as usize] {
            return p;
        }
        let k = self.keys[key as usize];
        let elem = if k & HOLDS_ELEMENTS == 0 {
            Some(k)
        } else {
            model.node(k).and_then(|n| n.held_elem())
        };
        let p = match elem.and_then(|e| Some((e, model.node(e)?.size))) {
            Some((e, size)) if size > 0 => (self.value_plan(model, e), size),
            _ => (NO_PLAN, 0),
        };
        self.walk[key as usize] = Some(p);
        p
    }

    /// The plan of a value of type `k` (not interned), or [`NO_PLAN`].
    pub fn value_plan(&mut self, model: &mut Model<'_>, k: Key) -> u32 {
        if let Some(&p) = self.value_plans.get(&k) {
            return p;
        }
        // Placeholder first: a type that contains itself by value (a malformed file) ends.
        self.value_plans.insert(k, NO_PLAN);
        let mut slots = Vec::new();
        self.flatten(model, k, 0, &mut slots, 0);
        let p = if slots.is_empty() {
            NO_PLAN
        } else {
            self.plans.push(Plan { slots });
            self.plans.len() as u32 - 1
        };
        self.value_plans.insert(k, p);
        p
    }

    /// The interned target and stride of a pointer to `elem`s.
    fn to(&mut self, model: &mut Model<'_>, set: Key, elem: Key) -> Option<Act> {
        let n = model.node(elem)?;
        let stride = match n.shape {
            Shape::String => 1,
            _ => n.size,
        };
        (stride > 0).then(|| Act::To {
            key: self.intern(set),
            stride,
        })
    }

    fn flatten(
        &mut self,
        model: &mut Model<'_>,
        k: Key,
        base: u64,
        out: &mut Vec<Slot>,
        depth: u32,
    ) {
        if depth > 32 || out.len() >= MAX_SLOTS {
            return;
        }
        let Some(n) = model.node(k) else { return };
        if !n.ptrs {
            return;
        }
        let mut push = |off: u64, act: Option<Act>| {
            if let Some(act) = act {
                out.push(Slot { off, act });
            }
        };
        match &n.shape {
            Shape::Pointer(Some(e)) => push(base, self.to(model, *e, *e)),
            Shape::Slice(e) => push(base, self.to(model, k | HOLDS_ELEMENTS, *e)),
            Shape::String => push(base, self.to(model, k | HOLDS_ELEMENTS, k)),
            Shape::Map { header: Some(h) } | Shape::Chan { header: Some(h) } => {
                push(base, self.to(model, *h, *h))
            }
            Shape::Interface { methods } => push(base, Some(Act::Iface { methods: *methods })),
            // A func value points at its closure: a code pointer, then captured variables.
            Shape::Func => push(
                base,
                Some(Act::To {
                    key: self.intern(CLOSURE_KEY),
                    stride: 1,
                }),
            ),
            Shape::Array { elem, len } => {
                let Some(e) = model.node(*elem) else { return };
                if e.size == 0 || !e.ptrs {
                    return;
                }
                let len = (*len).min(n.size / e.size);
                let mut inner = Vec::new();
                self.flatten(model, *elem, 0, &mut inner, depth + 1);
                if inner.is_empty() {
                    return;
                }
                if usize::try_from(len).is_ok_and(|l| l.saturating_mul(inner.len()) <= UNROLL) {
                    for i in 0..len {
                        for s in &inner {
                            out.push(Slot {
                                off: base + i * e.size + s.off,
                                act: s.act,
                            });
                        }
                    }
                } else {
                    self.plans.push(Plan { slots: inner });
                    let plan = self.plans.len() as u32 - 1;
                    out.push(Slot {
                        off: base,
                        act: Act::Array {
                            plan,
                            count: len,
                            stride: e.size,
                        },
                    });
                }
            }
            Shape::Struct(fields) => {
                let (skip, special) = match n.special {
                    Special::SwissHeader {
                        dir_ptr,
                        dir_len,
                        table_ptr,
                        group,
                    } => {
                        let g = model.node(group).map_or(0, |g| g.size);
                        let t = model.node(table_ptr).map_or(0, |t| t.size);
                        let act = (g > 0 && t > 0).then(|| Act::Swiss {
                            dir_len: dir_len.wrapping_sub(dir_ptr),
                            group: self.intern(group),
                            group_stride: g,
                            dir: self.intern(k | HOLDS_ELEMENTS),
                            dir_stride: t,
                        });
                        (Some(dir_ptr), act.map(|a| (dir_ptr, a)))
                    }
                    Special::ChanHeader { buf, elem } => (
                        Some(buf),
                        self.to(model, k | HOLDS_ELEMENTS, elem).map(|a| (buf, a)),
                    ),
                    _ => (None, None),
                };
                if let Some((off, act)) = special {
                    out.push(Slot {
                        off: base + off,
                        act,
                    });
                }
                for f in fields.iter() {
                    if Some(f.offset) != skip {
                        self.flatten(model, f.typ, base + f.offset, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// What an interface's dynamic type `t` makes of its data word: `*E` points at an `E`,
    /// any other type is boxed as itself.
    pub fn dynamic(&mut self, model: &mut Model<'_>, t: Key) -> Option<(u32, u64)> {
        if let Some(&d) = self.dynamic.get(&t) {
            return d;
        }
        let target = match model.node(t).map(|n| n.shape.clone()) {
            Some(Shape::Pointer(Some(e))) => Some(e),
            Some(Shape::Pointer(None)) | None => None,
            Some(_) => Some(t),
        };
        let d = target.and_then(|e| match self.to(model, e, e)? {
            Act::To { key, stride } => Some((key, stride)),
            _ => None,
        });
        self.dynamic.insert(t, d);
        d
    }
}
