//! The runtime's type descriptors (`internal/abi.Type` and its kind-specific tails), as
//! laid out from Go 1.19 to 1.27: what the typing pass follows through the heap.

use super::Executable;

/// `internal/abi.Kind` values (the low 5 bits of the kind byte).
pub mod kind {
    pub const ARRAY: u8 = 17;
    pub const CHAN: u8 = 18;
    pub const FUNC: u8 = 19;
    pub const INTERFACE: u8 = 20;
    pub const MAP: u8 = 21;
    pub const POINTER: u8 = 22;
    pub const SLICE: u8 = 23;
    pub const STRING: u8 = 24;
    pub const STRUCT: u8 = 25;
    pub const UNSAFE_POINTER: u8 = 26;
}

/// A struct field: name, type descriptor, byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub typ: u64,
    pub offset: u64,
}

/// One type descriptor, decoded (addresses are linked addresses).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeDesc {
    pub addr: u64,
    pub size: u64,
    /// Bytes from the start that can hold pointers (0: pointer-free).
    pub ptr_bytes: u64,
    pub kind: u8,
    /// Pointer, slice, array, chan: the element; map: the value.
    pub elem: Option<u64>,
    /// Map: the key.
    pub key: Option<u64>,
    /// Array: the element count.
    pub len: u64,
    /// Struct: its fields, by offset.
    pub fields: Vec<Field>,
    /// Interface: whether it has methods (an `iface`: itab word) or not (an `eface`).
    pub has_methods: bool,
}

impl Executable {
    /// Decodes the descriptor at a linked address; `None` when the bytes are not there.
    pub fn type_desc(&self, addr: u64) -> Option<TypeDesc> {
        let p = u64::from(self.ptr_size);
        let head = self.read(addr, (4 * p + 16) as usize)?;
        let word = |b: &[u8], i: u64| self.uint(&b[(i * p) as usize..((i + 1) * p) as usize]);
        let mut t = TypeDesc {
            addr,
            size: word(head, 0),
            ptr_bytes: word(head, 1),
            kind: head[(2 * p + 7) as usize] & 0x1f,
            ..TypeDesc::default()
        };
        // The kind-specific part follows the 4-word + 16-byte header.
        let tail = addr + 4 * p + 16;
        let w = |i: u64| self.word(tail + i * p);
        match t.kind {
            kind::POINTER | kind::SLICE | kind::CHAN => t.elem = w(0).filter(|&e| e != 0),
            kind::ARRAY => {
                t.elem = w(0).filter(|&e| e != 0);
                t.len = w(2)?;
            }
            kind::MAP => {
                t.key = w(0).filter(|&e| e != 0);
                t.elem = w(1).filter(|&e| e != 0);
            }
            kind::INTERFACE => {
                // PkgPath (a name pointer), then Methods, a slice: its length is word 2.
                t.has_methods = w(2).is_some_and(|n| n > 0);
            }
            kind::STRUCT => {
                // PkgPath, then Fields []StructField{Name *byte, Typ *Type, Offset uintptr}.
                let (ptr, n) = (w(1)?, w(2)?);
                if n > 4096 {
                    return None;
                }
                for i in 0..n {
                    let f = ptr + i * 3 * p;
                    let name = self
                        .word(f)
                        .and_then(|a| self.name_at(a))
                        .unwrap_or_default();
                    t.fields.push(Field {
                        name,
                        typ: self.word(f + p)?,
                        offset: self.word(f + 2 * p)?,
                    });
                }
            }
            _ => {}
        }
        Some(t)
    }
}
