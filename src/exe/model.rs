//! One view of Go types for typing the heap (`analysis::typing`), from the executable's DWARF where it has the
//! type and from the runtime's type descriptors otherwise (stripped binaries, types DWARF
//! does not describe).
//!
//! A type is a [`Key`]: the runtime address of its type descriptor when it has one (so a
//! type named by a malloc header and the same type reached through a field are one class),
//! else a DWARF type index tagged with [`DWARF_KEY`]. Bit 0 is [`HOLDS_ELEMENTS`].

use std::collections::HashMap;
use std::sync::Arc;

use super::dwarf::{DType, Dwarf, Tag};
use super::types::kind;
use super::Executable;

/// A type: a runtime descriptor address, or `DWARF_KEY | index << 1`.
pub type Key = u64;

/// Marks a key as a DWARF type index (no runtime address has bit 62 set).
pub const DWARF_KEY: Key = 1 << 62;

/// Marks a closure's key: `CLOSURE_KEY | entry << 1` (a function's linked entry address);
/// `CLOSURE_KEY` alone is a closure whose function is not known yet.
pub const CLOSURE_KEY: Key = 1 << 61;

/// Set in an object's key when the object holds the elements of the slice (or the bytes
/// of the string, or a channel's buffer, or a map's directory) the key names: "[]uint8
/// backing array", "string data". Descriptors are aligned, so bit 0 is free.
pub const HOLDS_ELEMENTS: Key = 1;

/// How a value of a type holds pointers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Scalar,
    /// `*T` (None: `unsafe.Pointer`, or a pointee nothing describes).
    Pointer(Option<Key>),
    /// `[]T`: the element.
    Slice(Key),
    String,
    Interface {
        methods: bool,
    },
    Struct(Vec<Field>),
    Array {
        elem: Key,
        len: u64,
    },
    /// A map value: a pointer to its header (known from DWARF only).
    Map {
        header: Option<Key>,
    },
    /// A channel value: a pointer to its `hchan` (known from DWARF only).
    Chan {
        header: Option<Key>,
    },
    Func,
}

/// What a struct is to the runtime, when the walk must treat it specially.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Special {
    None,
    /// A Swiss-table map header (Go 1.24+): `dirPtr` points at one group when `dirLen` is
    /// 0, else at an array of `*table`.
    SwissHeader {
        dir_ptr: u64,
        dir_len: u64,
        table_ptr: Key,
        group: Key,
    },
    /// A channel's `hchan`: `buf` holds its buffered elements.
    ChanHeader {
        buf: u64,
        elem: Key,
    },
    /// A map's buckets or groups: keys and values, named `[map key]` and `[map value]`.
    MapSlots,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Arc<str>,
    pub offset: u64,
    pub typ: Key,
}

/// One type, as the walk needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub size: u64,
    /// False when no value of it holds a pointer (the walk skips it).
    pub ptrs: bool,
    pub shape: Shape,
    pub special: Special,
}

/// Nodes by key, built on first use.
pub struct Model<'e> {
    exe: &'e Executable,
    dwarf: Option<&'e Dwarf>,
    /// Runtime address minus linked address.
    bias: u64,
    types_base: Option<u64>,
    /// `hchan<T>` struct index → T, from the channel types that point at it.
    chan_elems: HashMap<u32, Key>,
    pub(crate) cache: HashMap<Key, Option<Arc<Node>>>,
}

impl<'e> Model<'e> {
    pub fn new(exe: &'e Executable, bias: u64) -> Model<'e> {
        let mut m = Model {
            exe,
            dwarf: exe.dwarf.as_ref(),
            bias,
            types_base: exe.types_base,
            chan_elems: HashMap::new(),
            cache: HashMap::new(),
        };
        if let Some(d) = m.dwarf {
            for t in &d.types {
                if t.tag == Tag::Typedef && t.kind == kind::CHAN {
                    let hchan = t
                        .target
                        .and_then(|p| d.types.get(p as usize))
                        .and_then(|p| p.target);
                    if let (Some(h), Some(e)) = (hchan, t.elem) {
                        let e = m.dwarf_key(e);
                        m.chan_elems.insert(h, e);
                    }
                }
            }
        }
        m
    }

    /// The key of a DWARF type: its descriptor's runtime address when it has one.
    pub fn dwarf_key(&self, i: u32) -> Key {
        let d = self.dwarf.expect("dwarf keys come from DWARF");
        match (
            d.types.get(i as usize).and_then(|t| t.runtime),
            self.types_base,
        ) {
            (Some(off), Some(base)) => base.wrapping_add(off).wrapping_add(self.bias),
            _ => DWARF_KEY | u64::from(i) << 1,
        }
    }

    fn dwarf_index(&self, k: Key) -> Option<u32> {
        let d = self.dwarf?;
        if k & DWARF_KEY != 0 {
            return u32::try_from((k & !DWARF_KEY) >> 1).ok();
        }
        let linked = k.wrapping_sub(self.bias);
        let off = linked.checked_sub(self.types_base?)?;
        d.by_runtime.get(&off).copied()
    }

    /// The node of a key (without [`HOLDS_ELEMENTS`]).
    pub fn node(&mut self, k: Key) -> Option<Arc<Node>> {
        if k & CLOSURE_KEY != 0 && k & DWARF_KEY == 0 {
            // A closure's captured variables have no type the walk can see.
            return None;
        }
        self.node_depth(k & !HOLDS_ELEMENTS, 0)
    }

    /// The closure key of the function whose entry is at runtime address `pc`.
    pub fn closure(&self, pc: u64) -> Option<Key> {
        let entry = pc.wrapping_sub(self.bias);
        self.exe.func_at(entry)?;
        Some(CLOSURE_KEY | entry << 1)
    }

    fn node_depth(&mut self, k: Key, depth: u32) -> Option<Arc<Node>> {
        if let Some(n) = self.cache.get(&k) {
            return n.clone();
        }
        // A type that contains itself by value (only a malformed file has one) or nesting
        // past any real program's ends as "no node".
        if depth > 64 {
            return None;
        }
        self.cache.insert(k, None);
        let n = match self.dwarf_index(k) {
            Some(i) => self.build_dwarf(i, depth),
            None if k & DWARF_KEY == 0 => self.build_descriptor(k, depth),
            None => None,
        }
        .map(Arc::new);
        self.cache.insert(k, n.clone());
        n
    }

    fn ptrs(&mut self, k: Key, depth: u32) -> bool {
        self.node_depth(k, depth + 1).is_some_and(|n| n.ptrs)
    }

    fn build_dwarf(&mut self, i: u32, depth: u32) -> Option<Node> {
        let d = self.dwarf?;
        let t: &DType = d.types.get(i as usize)?;
        let key_of = |m: &Self, x: Option<u32>| x.map(|x| m.dwarf_key(x));
        let pointee = |x: Option<u32>| x.and_then(|p| d.types.get(p as usize)?.target);
        let (shape, special) = match (t.tag, t.kind) {
            (Tag::Typedef, kind::MAP) => (
                Shape::Map {
                    header: key_of(self, pointee(t.target)),
                },
                Special::None,
            ),
            (Tag::Typedef, kind::CHAN) => (
                Shape::Chan {
                    header: key_of(self, pointee(t.target)),
                },
                Special::None,
            ),
            (Tag::Typedef, kind::INTERFACE) => {
                let under = d.types.get(d.underlying(i) as usize)?;
                (
                    Shape::Interface {
                        methods: under.name != "runtime.eface",
                    },
                    Special::None,
                )
            }
            (Tag::Typedef, _) => {
                let target = t.target?;
                let k = self.dwarf_key(target);
                return self.node_depth(k, depth + 1).map(|n| (*n).clone());
            }
            (Tag::Pointer, _) => (Shape::Pointer(key_of(self, t.target)), Special::None),
            (Tag::Struct, kind::SLICE) => (
                Shape::Slice(key_of(self, t.elem).or_else(|| {
                    // The element of a slice DWARF knows only as its `array` field.
                    let f = t.fields.first()?;
                    key_of(self, d.types.get(f.typ as usize)?.target)
                })?),
                Special::None,
            ),
            (Tag::Struct, kind::STRING) => (Shape::String, Special::None),
            (Tag::Struct, kind::INTERFACE) => (
                Shape::Interface {
                    methods: t.name != "runtime.eface",
                },
                Special::None,
            ),
            (Tag::Struct, _) => {
                let fields: Vec<Field> = t
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: Arc::from(f.name.as_str()),
                        offset: f.offset,
                        typ: self.dwarf_key(f.typ),
                    })
                    .collect();
                let field = |n: &str| t.fields.iter().find(|f| f.name == n);
                let special = if t.name.starts_with("map<") {
                    // dirPtr is **table<K,V>; table's groups.data is *group.
                    let (Some(dp), Some(dl)) = (field("dirPtr"), field("dirLen")) else {
                        return None;
                    };
                    let table_ptr = d.types.get(dp.typ as usize)?.target?;
                    let table = d.types.get(table_ptr as usize)?.target?;
                    let groups = d.types.get(table as usize)?;
                    let gref = groups.fields.iter().find(|f| f.name == "groups")?;
                    let data = d.types.get(gref.typ as usize)?.fields.first()?;
                    let group = d.types.get(data.typ as usize)?.target?;
                    Special::SwissHeader {
                        dir_ptr: dp.offset,
                        dir_len: dl.offset,
                        table_ptr: self.dwarf_key(table_ptr),
                        group: self.dwarf_key(group),
                    }
                } else if t.name.starts_with("hchan<") {
                    match (field("buf"), self.chan_elems.get(&i)) {
                        (Some(b), Some(&elem)) => Special::ChanHeader {
                            buf: b.offset,
                            elem,
                        },
                        _ => Special::None,
                    }
                } else if ["map.bucket[", "map.group["]
                    .iter()
                    .any(|p| go_name(&t.name).starts_with(p))
                {
                    Special::MapSlots
                } else {
                    Special::None
                };
                (Shape::Struct(fields), special)
            }
            (Tag::Array, _) => (
                Shape::Array {
                    elem: key_of(self, t.target)?,
                    len: t.count,
                },
                Special::None,
            ),
            (Tag::Func, _) => (Shape::Func, Special::None),
            _ => (Shape::Scalar, Special::None),
        };
        // Go's DWARF gives pointer-shaped types no byte size.
        let size = match shape {
            Shape::Pointer(_) | Shape::Map { .. } | Shape::Chan { .. } | Shape::Func
                if t.size == 0 =>
            {
                u64::from(self.exe.ptr_size)
            }
            _ => t.size,
        };
        Some(self.finish(size, shape, special, depth))
    }

    fn build_descriptor(&mut self, k: Key, depth: u32) -> Option<Node> {
        let t = self.exe.type_desc(k.wrapping_sub(self.bias))?;
        let rt = |a: u64| a.wrapping_add(self.bias);
        let shape = match t.kind {
            kind::POINTER => Shape::Pointer(t.elem.map(rt)),
            kind::UNSAFE_POINTER => Shape::Pointer(None),
            kind::SLICE => Shape::Slice(rt(t.elem?)),
            kind::STRING => Shape::String,
            kind::INTERFACE => Shape::Interface {
                methods: t.has_methods,
            },
            kind::ARRAY => Shape::Array {
                elem: rt(t.elem?),
                len: t.len,
            },
            kind::MAP => Shape::Map { header: None },
            kind::CHAN => Shape::Chan { header: None },
            kind::FUNC => Shape::Func,
            kind::STRUCT => Shape::Struct(
                t.fields
                    .iter()
                    .map(|f| Field {
                        name: Arc::from(f.name.as_str()),
                        offset: f.offset,
                        typ: rt(f.typ),
                    })
                    .collect(),
            ),
            _ => Shape::Scalar,
        };
        let name = self.exe.type_name(t.addr).unwrap_or_default();
        let special = if name.starts_with("map.group[") || name.starts_with("map.bucket[") {
            Special::MapSlots
        } else {
            Special::None
        };
        let mut n = self.finish(t.size, shape, special, depth);
        // The descriptor's pointer bytes are the runtime's own answer.
        n.ptrs = t.ptr_bytes > 0;
        Some(n)
    }

    fn finish(&mut self, size: u64, shape: Shape, special: Special, depth: u32) -> Node {
        let ptrs = match &shape {
            Shape::Scalar => false,
            Shape::Struct(fields) => {
                let keys: Vec<Key> = fields.iter().map(|f| f.typ).collect();
                keys.into_iter().any(|k| self.ptrs(k, depth))
            }
            Shape::Array { elem, len } => *len > 0 && self.ptrs(*elem, depth),
            _ => true,
        };
        Node {
            size,
            ptrs,
            shape,
            special,
        }
    }

    /// The Go name of a key: "main.item", "[]uint8 backing array", "map.hdr[string]*main.item".
    pub fn name(&mut self, k: Key) -> Option<String> {
        if k & CLOSURE_KEY != 0 && k & DWARF_KEY == 0 {
            let f = self.exe.func_at((k & !CLOSURE_KEY) >> 1);
            return Some(match f {
                Some(f) => format!("func {} (closure)", f.strip_suffix(".abi0").unwrap_or(f)),
                None => "func value (closure)".to_string(),
            });
        }
        let base = k & !HOLDS_ELEMENTS;
        let name = match self.dwarf_index(base) {
            _ if base & DWARF_KEY == 0 => self
                .exe
                .type_name(base.wrapping_sub(self.bias))
                .or_else(|| self.dwarf_name(base)),
            _ => self.dwarf_name(base),
        }?;
        if k & HOLDS_ELEMENTS == 0 {
            return Some(name);
        }
        let node = self.node(base);
        Some(match node.as_deref() {
            Some(Node {
                shape: Shape::String,
                ..
            }) => "string data".to_string(),
            Some(Node {
                special: Special::ChanHeader { .. },
                ..
            }) => name.replacen("chan.hdr[", "chan.buf[", 1),
            Some(Node {
                special: Special::SwissHeader { .. },
                ..
            }) => name.replacen("map.hdr[", "map.directory[", 1),
            _ => format!("{name} backing array"),
        })
    }

    fn dwarf_name(&self, k: Key) -> Option<String> {
        let i = self.dwarf_index(k)?;
        let t = self.dwarf?.types.get(i as usize)?;
        (!t.name.is_empty()).then(|| go_name(&t.name))
    }
}

/// Nodes by key, as typing leaves them for naming fields.
pub type Nodes = HashMap<Key, Arc<Node>>;

fn node(names: &Nodes, k: Key) -> Option<&Arc<Node>> {
    names.get(&(k & !HOLDS_ELEMENTS))
}

/// The element type of an object that holds elements (see [`HOLDS_ELEMENTS`]).
pub fn elem_of(names: &Nodes, k: Key) -> Option<Key> {
    node(names, k)?.held_elem()
}

impl Node {
    /// What an object typed by this type with [`HOLDS_ELEMENTS`] holds: a slice's
    /// elements, a channel's buffered values, a Swiss map directory's `*table`s.
    pub fn held_elem(&self) -> Option<Key> {
        match (&self.shape, &self.special) {
            (Shape::Slice(e), _) => Some(*e),
            (_, Special::ChanHeader { elem, .. }) => Some(*elem),
            (_, Special::SwissHeader { table_ptr, .. }) => Some(*table_ptr),
            _ => None,
        }
    }
}

/// The path of the byte at `off` within a value (or an object) of type `k`: `.lru.slots`,
/// `[3]`, `[map value]`, or "" for a pointer at offset 0.
pub fn field_path(names: &Nodes, k: Key, off: u64) -> String {
    let mut out = String::new();
    let (mut k, mut off) = (k, off);
    if k & HOLDS_ELEMENTS != 0 {
        let Some(e) = elem_of(names, k) else {
            return out;
        };
        let size = node(names, e).map_or(0, |n| n.size);
        if size == 0 {
            return out;
        }
        out.push_str(&format!("[{}]", off / size));
        (k, off) = (e, off % size);
    } else if let Some(size) = node(names, k).map(|n| n.size).filter(|&s| s > 0) {
        // An object of a type may hold several (a map's groups or buckets).
        off %= size;
    }
    let mut in_map = false;
    for _ in 0..64 {
        let Some(n) = node(names, k) else { break };
        match &n.shape {
            Shape::Struct(fields) => {
                in_map |= n.special == Special::MapSlots;
                let Some(f) = fields.iter().rev().find(|f| {
                    f.offset <= off
                        && node(names, f.typ).is_none_or(|t| off - f.offset < t.size.max(1))
                }) else {
                    break;
                };
                if in_map {
                    match &*f.name {
                        "keys" | "key" => out.push_str(" [map key]"),
                        "values" | "elems" | "elem" => out.push_str(" [map value]"),
                        _ => {}
                    }
                } else {
                    out.push('.');
                    out.push_str(&f.name);
                }
                (k, off) = (f.typ, off - f.offset);
            }
            Shape::Array { elem, .. } => {
                let size = node(names, *elem).map_or(0, |n| n.size);
                if size == 0 {
                    break;
                }
                if !in_map {
                    out.push_str(&format!("[{}]", off / size));
                }
                (k, off) = (*elem, off % size);
            }
            _ => break,
        }
    }
    out.trim_start().to_string()
}

/// DWARF's names for the runtime's internal types, as Go's own descriptors name such
/// types: `hash<K,V>` and `map<K,V>` → `map.hdr[K]V`, `table<K,V>` → `map.table[K]V`,
/// `bucket<K,V>` → `map.bucket[K]V`, `hchan<T>` → `chan.hdr[T]`. Other names unchanged.
pub fn go_name(dwarf: &str) -> String {
    // The compiler's internal types that need no hash or equality are `noalg.`-prefixed.
    let dwarf = dwarf.strip_prefix("noalg.").unwrap_or(dwarf);
    let Some((base, rest)) = dwarf.split_once('<') else {
        return dwarf.to_string();
    };
    let Some(args) = rest.strip_suffix('>') else {
        return dwarf.to_string();
    };
    let prefix = match base {
        "hash" | "map" => "map.hdr",
        "table" => "map.table",
        "bucket" => "map.bucket",
        "hchan" => "chan.hdr",
        "waitq" => "chan.waitq",
        "sudog" => "runtime.sudog",
        _ => return dwarf.to_string(),
    };
    // The comma between K and V is the one outside brackets.
    let mut depth = 0i32;
    let mut split = None;
    for (i, c) in args.char_indices() {
        match c {
            '<' | '[' | '(' | '{' => depth += 1,
            '>' | ']' | ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    match split {
        Some(i) => format!("{prefix}[{}]{}", &args[..i], &args[i + 1..]),
        None => format!("{prefix}[{args}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_read_as_go_names_them() {
        assert_eq!(
            go_name("map<string,*main.item>"),
            "map.hdr[string]*main.item"
        );
        assert_eq!(
            go_name("hash<string,map<int,string>>"),
            "map.hdr[string]map<int,string>"
        );
        assert_eq!(
            go_name("table<[2]int,func(int, int)>"),
            "map.table[[2]int]func(int, int)"
        );
        assert_eq!(go_name("hchan<main.job>"), "chan.hdr[main.job]");
        assert_eq!(go_name("main.item"), "main.item");
        assert_eq!(
            go_name("noalg.map.group[string]*main.item"),
            "map.group[string]*main.item"
        );
        assert_eq!(go_name("bucket<string,int>"), "map.bucket[string]int");
        assert_eq!(go_name("weird<"), "weird<");
    }
}
