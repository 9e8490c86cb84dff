//! The executable's DWARF, as Go's linker writes it: every Go type (named as Go names it,
//! with Go's own attributes `DW_AT_go_kind`, `DW_AT_go_key`, `DW_AT_go_elem` and
//! `DW_AT_go_runtime_type`), the runtime's internal map and channel types specialised per
//! key and element (`hash<K,V>`, `map<K,V>`, `table<K,V>`, `bucket<K,V>`, `hchan<T>`),
//! and the global variables with their addresses and types.
//!
//! Only what typing the heap needs is kept: types and globals, in flat arrays indexed by
//! `u32`; functions' stack variables; and from their inlined calls with the line
//! programs, which inlined function a frame's file:line is in (`inline`).

use std::borrow::Cow;
use std::collections::HashMap;

use gimli::{AttributeValue, DwAt, DwTag, EndianSlice, RunTimeEndian};
use object::{Object, ObjectSection};

use super::inline::{FuncName, InlineBuilder, Inlines};

const DW_AT_GO_KIND: DwAt = DwAt(0x2900);
const DW_AT_GO_KEY: DwAt = DwAt(0x2901);
const DW_AT_GO_ELEM: DwAt = DwAt(0x2902);
const DW_AT_GO_RUNTIME_TYPE: DwAt = DwAt(0x2904);

/// What kind of DWARF entry a type is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Base,
    Pointer,
    Struct,
    Array,
    Typedef,
    Func,
    Other,
}

/// One DWARF type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DType {
    pub name: String,
    pub tag: Tag,
    /// `DW_AT_go_kind` (an `internal/abi.Kind`), 0 when absent.
    pub kind: u8,
    pub size: u64,
    /// Pointer: the pointee; typedef: the type it names; array: the element.
    pub target: Option<u32>,
    /// `DW_AT_go_elem` (slices, maps' values, channels) and `DW_AT_go_key` (maps).
    pub elem: Option<u32>,
    pub key: Option<u32>,
    /// Array: the element count.
    pub count: u64,
    /// `DW_AT_go_runtime_type`: the runtime type descriptor, as an offset from the types
    /// base (`moduledata.types`); absent when the linker kept no descriptor.
    pub runtime: Option<u64>,
    /// Struct members by offset.
    pub fields: Vec<DField>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DField {
    pub name: String,
    pub offset: u64,
    pub typ: u32,
}

/// A global variable: its linked address, name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DGlobal {
    pub addr: u64,
    pub name: String,
    pub typ: u32,
}

/// A function's variable that lives on the stack somewhere in it: where, by PC range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DVar {
    pub name: String,
    pub typ: u32,
    /// A parameter (`arg`) or a local.
    pub param: bool,
    /// `[lo, hi)` PC ranges (linked addresses) and, in each, the pieces of the variable in
    /// the frame.
    pub locs: Vec<(u64, u64, Vec<Piece>)>,
}

/// Part of a variable in its frame: (byte offset in the variable, size, offset from the CFA).
pub type Piece = (u32, u32, i32);

/// A function and its stack variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DFunc {
    pub low: u64,
    pub high: u64,
    pub name: String,
    pub vars: Vec<DVar>,
}

/// The types and globals of an executable's DWARF.
#[derive(Debug, Default)]
pub struct Dwarf {
    pub types: Vec<DType>,
    /// By address.
    pub globals: Vec<DGlobal>,
    /// Functions with stack variables, by address.
    pub funcs: Vec<DFunc>,
    /// Runtime type descriptor (offset from the types base) → its DWARF type.
    pub by_runtime: HashMap<u64, u32>,
    /// Which inlined function a frame's (function, file, line) is in.
    pub inlines: Inlines,
}

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// A section's bytes, decompressed: ELF `SHF_COMPRESSED` (by `object`) and Mach-O's
/// `__zdebug_*` ("ZLIB", an 8-byte big-endian size, then zlib data).
fn section<'d, D: object::ReadRef<'d>>(file: &object::File<'d, D>, name: &str) -> Cow<'d, [u8]> {
    let candidates = [
        name.to_string(),
        format!("__{}", &name[1..]),
        format!("__z{}", &name[1..]),
        format!(".z{}", &name[1..]),
    ];
    for n in &candidates {
        let Some(s) = file.section_by_name(n) else {
            continue;
        };
        let Ok(data) = s.uncompressed_data() else {
            continue;
        };
        if data.len() >= 12 && &data[..4] == b"ZLIB" {
            let size = u64::from_be_bytes(data[4..12].try_into().unwrap_or_default());
            let compressed = object::CompressedData {
                format: object::CompressionFormat::Zlib,
                data: &data[12..],
                uncompressed_size: size,
            };
            if let Ok(d) = compressed.decompress() {
                return Cow::Owned(d.into_owned());
            }
            continue;
        }
        return data;
    }
    Cow::Borrowed(&[])
}

impl Dwarf {
    /// Reads the DWARF of `file`; `None` when it has none (`-ldflags=-w`, stripped).
    pub fn read<'d, D: object::ReadRef<'d>>(
        file: &object::File<'d, D>,
    ) -> Result<Option<Dwarf>, String> {
        Dwarf::from_sections(|name| section(file, name), !file.is_little_endian())
    }

    /// Reads DWARF from its sections' uncompressed bytes, `load` giving each by its ELF
    /// name (`.debug_info`; empty when absent). Tests corrupt them through this.
    pub fn from_sections<'d>(
        load: impl Fn(&str) -> Cow<'d, [u8]>,
        big_endian: bool,
    ) -> Result<Option<Dwarf>, String> {
        let endian = if big_endian {
            RunTimeEndian::Big
        } else {
            RunTimeEndian::Little
        };
        let sections = gimli::DwarfSections::load(|id| Ok::<_, gimli::Error>(load(id.name())))
            .map_err(|e| e.to_string())?;
        let dwarf = sections.borrow(|s| EndianSlice::new(s, endian));
        if gimli::Section::reader(&dwarf.debug_info).is_empty() {
            return Ok(None);
        }
        let mut b = Builder::default();
        b.read(&dwarf)
            .map_err(|e| format!("reading its DWARF: {e}"))?;
        Ok(Some(b.finish()))
    }

    /// Follows typedefs to the type they name (bounded: DWARF from a file may loop).
    pub fn underlying(&self, mut t: u32) -> u32 {
        for _ in 0..16 {
            match self.types.get(t as usize) {
                Some(d) if d.tag == Tag::Typedef => match d.target {
                    Some(n) => t = n,
                    None => return t,
                },
                _ => return t,
            }
        }
        t
    }

    /// The function whose code holds a linked PC.
    pub fn func_at(&self, pc: u64) -> Option<&DFunc> {
        let i = self.funcs.partition_point(|f| f.low <= pc).checked_sub(1)?;
        let f = &self.funcs[i];
        (pc < f.high).then_some(f)
    }
}

/// References are kept as `.debug_info` offsets until every type has an index.
#[derive(Default)]
struct Builder {
    types: Vec<DType>,
    raw: Vec<RawRefs>,
    index: HashMap<usize, u32>,
    globals: Vec<(u64, String, usize)>,
    /// Functions, their variables' types still `.debug_info` offsets.
    funcs: Vec<(DFunc, Vec<usize>)>,
    /// The units' address size: the size of a pointer-shaped variable DWARF gives none.
    address_size: u32,
    inlines: InlineBuilder,
}

#[derive(Default)]
struct RawRefs {
    target: Option<usize>,
    elem: Option<usize>,
    key: Option<usize>,
    fields: Vec<usize>,
}

fn type_tag(tag: DwTag) -> Option<Tag> {
    Some(match tag {
        gimli::DW_TAG_base_type => Tag::Base,
        gimli::DW_TAG_pointer_type => Tag::Pointer,
        gimli::DW_TAG_structure_type => Tag::Struct,
        gimli::DW_TAG_array_type => Tag::Array,
        gimli::DW_TAG_typedef => Tag::Typedef,
        gimli::DW_TAG_subroutine_type => Tag::Func,
        gimli::DW_TAG_unspecified_type => Tag::Other,
        _ => return None,
    })
}

impl Builder {
    fn read(&mut self, dwarf: &gimli::Dwarf<R<'_>>) -> gimli::Result<()> {
        let mut units = dwarf.units();
        while let Some(header) = units.next()? {
            let unit = dwarf.unit(header)?;
            self.address_size = u32::from(unit.encoding().address_size);
            let mut tree = unit.entries_tree(None)?;
            let root = tree.root()?;
            let mut children = root.children();
            while let Some(node) = children.next()? {
                let e = node.entry();
                let Some(off) = e.offset().to_debug_info_offset(&unit.header) else {
                    continue;
                };
                let off = off.0;
                if e.tag() == gimli::DW_TAG_subprogram {
                    let name = str_attr(dwarf, &unit, e, gimli::DW_AT_name);
                    if let (Some(n), Some(_)) = (&name, e.attr_value(gimli::DW_AT_inline)?) {
                        self.inlines.abstract_name(off, n);
                    }
                    let low = match e.attr_value(gimli::DW_AT_low_pc)? {
                        Some(v) => dwarf.attr_address(&unit, v)?,
                        None => None,
                    };
                    let high = match e.attr_value(gimli::DW_AT_high_pc)? {
                        Some(AttributeValue::Udata(n)) => low.map(|l| l.wrapping_add(n)),
                        Some(v) => v
                            .udata_value()
                            .and_then(|n| low.map(|l| l.wrapping_add(n)))
                            .or(dwarf.attr_address(&unit, v)?),
                        None => None,
                    };
                    let (Some(low), Some(high)) = (low, high) else {
                        continue;
                    };
                    // A function that is also inlined elsewhere (a "concrete" one) takes
                    // its name from its abstract origin.
                    let name = name.unwrap_or_default();
                    let origin = match name.is_empty() {
                        true => ref_attr(&unit, e, gimli::DW_AT_abstract_origin)?,
                        false => None,
                    };
                    let mut f = DFunc {
                        low,
                        high,
                        name,
                        vars: Vec::new(),
                    };
                    let mut types = Vec::new();
                    let mut vars = node.children();
                    let mut inlines_read = true;
                    while let Some(v) = vars.next()? {
                        if matches!(
                            v.entry().tag(),
                            gimli::DW_TAG_inlined_subroutine | gimli::DW_TAG_lexical_block
                        ) {
                            // A broken inline tree loses this function's inline names only.
                            if inlines_read {
                                inlines_read = self.inlines.walk(dwarf, &unit, v, 0).is_ok();
                            }
                            continue;
                        }
                        let v = v.entry();
                        let param = match v.tag() {
                            gimli::DW_TAG_formal_parameter => true,
                            gimli::DW_TAG_variable => false,
                            _ => continue,
                        };
                        let (Some(typ), Some(name)) = (
                            ref_attr(&unit, v, gimli::DW_AT_type)?,
                            str_attr(dwarf, &unit, v, gimli::DW_AT_name),
                        ) else {
                            continue;
                        };
                        let mut locs = Vec::new();
                        match v.attr_value(gimli::DW_AT_location)? {
                            Some(AttributeValue::Exprloc(x)) => {
                                let pieces = stack_pieces(x.0.slice());
                                if !pieces.is_empty() {
                                    locs.push((low, high, pieces));
                                }
                            }
                            Some(a) => {
                                if let Some(mut list) = dwarf.attr_locations(&unit, a)? {
                                    while let Some(l) = list.next()? {
                                        let pieces = stack_pieces(l.data.0.slice());
                                        if !pieces.is_empty() {
                                            locs.push((l.range.begin, l.range.end, pieces));
                                        }
                                    }
                                }
                            }
                            None => {}
                        }
                        if !locs.is_empty() {
                            f.vars.push(DVar {
                                name,
                                typ: 0,
                                param,
                                locs,
                            });
                            types.push(typ);
                        }
                    }
                    let func = match origin {
                        Some(o) => Some(FuncName::Origin(o)),
                        None => (!f.name.is_empty()).then_some(FuncName::Name(&f.name)),
                    };
                    if let Some(func) = func {
                        self.inlines.end_function(low, high, func, inlines_read);
                    }
                    if !f.vars.is_empty() {
                        self.funcs.push((f, types));
                    }
                    continue;
                }
                if e.tag() == gimli::DW_TAG_variable {
                    let name = str_attr(dwarf, &unit, e, gimli::DW_AT_name);
                    let addr = match e.attr_value(gimli::DW_AT_location)? {
                        Some(AttributeValue::Exprloc(x)) => op_addr(&x.0, &unit),
                        _ => None,
                    };
                    let typ = ref_attr(&unit, e, gimli::DW_AT_type)?;
                    if let (Some(name), Some(addr), Some(typ)) = (name, addr, typ) {
                        self.globals.push((addr, name, typ));
                    }
                    continue;
                }
                let Some(tag) = type_tag(e.tag()) else {
                    continue;
                };
                let mut t = DType {
                    name: str_attr(dwarf, &unit, e, gimli::DW_AT_name).unwrap_or_default(),
                    tag,
                    kind: udata(e, DW_AT_GO_KIND)?.unwrap_or(0) as u8,
                    size: udata(e, gimli::DW_AT_byte_size)?.unwrap_or(0),
                    target: None,
                    elem: None,
                    key: None,
                    count: 0,
                    runtime: match e.attr_value(DW_AT_GO_RUNTIME_TYPE)? {
                        Some(AttributeValue::Addr(a)) if a != 0 => Some(a),
                        _ => None,
                    },
                    fields: Vec::new(),
                };
                let mut raw = RawRefs {
                    target: ref_attr(&unit, e, gimli::DW_AT_type)?,
                    elem: ref_attr(&unit, e, DW_AT_GO_ELEM)?,
                    key: ref_attr(&unit, e, DW_AT_GO_KEY)?,
                    fields: Vec::new(),
                };
                if matches!(tag, Tag::Struct | Tag::Array) {
                    let mut members = node.children();
                    while let Some(m) = members.next()? {
                        let m = m.entry();
                        match m.tag() {
                            gimli::DW_TAG_member => {
                                let (Some(typ), Some(offset)) = (
                                    ref_attr(&unit, m, gimli::DW_AT_type)?,
                                    udata(m, gimli::DW_AT_data_member_location)?,
                                ) else {
                                    continue;
                                };
                                t.fields.push(DField {
                                    name: str_attr(dwarf, &unit, m, gimli::DW_AT_name)
                                        .unwrap_or_default(),
                                    offset,
                                    typ: 0,
                                });
                                raw.fields.push(typ);
                            }
                            gimli::DW_TAG_subrange_type => {
                                t.count = match udata(m, gimli::DW_AT_count)? {
                                    Some(c) => c,
                                    None => udata(m, gimli::DW_AT_upper_bound)?
                                        .map_or(0, |u| u.saturating_add(1)),
                                };
                            }
                            _ => {}
                        }
                    }
                }
                self.index.insert(off, self.types.len() as u32);
                self.types.push(t);
                self.raw.push(raw);
            }
            self.inlines.end_unit(dwarf, &unit);
        }
        Ok(())
    }

    fn finish(self) -> Dwarf {
        let Builder {
            mut types,
            raw,
            index,
            globals,
            funcs,
            address_size,
            inlines,
        } = self;
        let at = |o: Option<usize>| o.and_then(|o| index.get(&o).copied());
        for (t, r) in types.iter_mut().zip(raw) {
            t.target = at(r.target);
            t.elem = at(r.elem);
            t.key = at(r.key);
            let mut keep = Vec::with_capacity(t.fields.len());
            for (mut f, o) in std::mem::take(&mut t.fields).into_iter().zip(r.fields) {
                if let Some(i) = at(Some(o)) {
                    f.typ = i;
                    keep.push(f);
                }
            }
            keep.sort_by_key(|f| f.offset);
            t.fields = keep;
        }
        let mut by_runtime = HashMap::new();
        for (i, t) in types.iter().enumerate() {
            if let Some(r) = t.runtime {
                by_runtime.entry(r).or_insert(i as u32);
            }
        }
        let mut globals: Vec<DGlobal> = globals
            .into_iter()
            .filter_map(|(addr, name, t)| {
                Some(DGlobal {
                    addr,
                    name,
                    typ: at(Some(t))?,
                })
            })
            .collect();
        globals.sort_by_key(|g| g.addr);
        globals.dedup_by_key(|g| g.addr);
        let mut funcs: Vec<DFunc> = funcs
            .into_iter()
            .map(|(mut f, typs)| {
                let vars = std::mem::take(&mut f.vars);
                f.vars = vars
                    .into_iter()
                    .zip(typs)
                    .filter_map(|(mut v, t)| {
                        v.typ = at(Some(t))?;
                        // A location without pieces holds the whole variable: its size.
                        let size = match types.get(v.typ as usize) {
                            Some(t) if t.size > 0 => u32::try_from(t.size).unwrap_or(u32::MAX),
                            _ => address_size,
                        };
                        for (_, _, pieces) in &mut v.locs {
                            for p in pieces.iter_mut().filter(|p| p.1 == u32::MAX) {
                                p.1 = size;
                            }
                        }
                        Some(v)
                    })
                    .collect();
                f
            })
            .collect();
        funcs.sort_by_key(|f| f.low);
        Dwarf {
            types,
            globals,
            funcs,
            by_runtime,
            inlines: inlines.finish(),
        }
    }
}

fn str_attr(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    e: &gimli::DebuggingInformationEntry<'_, '_, R<'_>>,
    at: DwAt,
) -> Option<String> {
    let v = e.attr_value(at).ok()??;
    let s = dwarf.attr_string(unit, v).ok()?;
    Some(String::from_utf8_lossy(s.slice()).into_owned())
}

fn udata(
    e: &gimli::DebuggingInformationEntry<'_, '_, R<'_>>,
    at: DwAt,
) -> gimli::Result<Option<u64>> {
    Ok(e.attr_value(at)?.and_then(|v| v.udata_value()))
}

/// A reference to another entry, as a `.debug_info` offset.
fn ref_attr(
    unit: &gimli::Unit<R<'_>>,
    e: &gimli::DebuggingInformationEntry<'_, '_, R<'_>>,
    at: DwAt,
) -> gimli::Result<Option<usize>> {
    Ok(match e.attr_value(at)? {
        Some(AttributeValue::DebugInfoRef(o)) => Some(o.0),
        Some(AttributeValue::UnitRef(u)) => u.to_debug_info_offset(&unit.header).map(|o| o.0),
        _ => None,
    })
}

/// The pieces of a location expression that are in the frame, as (byte offset in the
/// variable, size, offset from the CFA): Go writes `DW_OP_call_frame_cfa` (the CFA
/// itself) or `DW_OP_fbreg N` (its frame base is the CFA), each piece closed by
/// `DW_OP_piece SIZE`; register pieces and unknown operations are skipped.
fn stack_pieces(expr: &[u8]) -> Vec<Piece> {
    fn uleb(b: &[u8], at: &mut usize) -> Option<u64> {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let x = *b.get(*at)?;
            *at += 1;
            v |= u64::from(x & 0x7f) << shift;
            if x & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
            if shift > 56 {
                return None;
            }
        }
    }
    fn sleb(b: &[u8], at: &mut usize) -> Option<i64> {
        let (mut v, mut shift) = (0i64, 0);
        loop {
            let x = *b.get(*at)?;
            *at += 1;
            v |= i64::from(x & 0x7f) << shift;
            shift += 7;
            if x & 0x80 == 0 {
                if shift < 64 && x & 0x40 != 0 {
                    v |= -1 << shift;
                }
                return Some(v);
            }
            if shift > 56 {
                return None;
            }
        }
    }
    let mut out = Vec::new();
    let (mut at, mut var_off, mut cur): (usize, u64, Option<i64>) = (0, 0, None);
    while at < expr.len() {
        let op = expr[at];
        at += 1;
        match op {
            0x9c => cur = Some(0), // DW_OP_call_frame_cfa
            0x91 => match sleb(expr, &mut at) {
                // DW_OP_fbreg
                Some(n) => cur = Some(n),
                None => return out,
            },
            0x93 => {
                // DW_OP_piece
                let Some(size) = uleb(expr, &mut at) else {
                    return out;
                };
                let cfa = cur.and_then(|c| i32::try_from(c).ok());
                if let (Some(c), Ok(o), Ok(s)) = (cfa, u32::try_from(var_off), u32::try_from(size))
                {
                    out.push((o, s, c));
                }
                var_off = var_off.saturating_add(size);
                cur = None;
            }
            0x50..=0x6f => cur = None, // DW_OP_regN: in a register, not the frame
            0x90 => {
                // DW_OP_regx
                if uleb(expr, &mut at).is_none() {
                    return out;
                }
                cur = None;
            }
            _ => return out, // an operation Go does not write for stack variables
        }
    }
    // A location without pieces is the whole variable.
    if let (Some(c), true) = (cur, out.is_empty() && var_off == 0) {
        if let Ok(c) = i32::try_from(c) {
            out.push((0, u32::MAX, c));
        }
    }
    out
}

/// A location that is exactly `DW_OP_addr A`: a global's address.
fn op_addr(expr: &R<'_>, unit: &gimli::Unit<R<'_>>) -> Option<u64> {
    let le = matches!(gimli::Reader::endian(expr), RunTimeEndian::Little);
    let expr = expr.slice();
    let size = usize::from(unit.encoding().address_size);
    if expr.len() != 1 + size || expr[0] != gimli::DW_OP_addr.0 {
        return None;
    }
    let b = &expr[1..];
    let mut v = 0u64;
    for i in 0..size {
        let x = if le { b[size - 1 - i] } else { b[i] };
        v = v << 8 | u64::from(x);
    }
    Some(v)
}
