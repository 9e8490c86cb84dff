//! Names from the executable that wrote the dump, attached to a built heap: type names for
//! the type words the dump holds and global names for its data and bss roots.

use crate::exe::{Executable, Global};

use super::Heap;

/// What the executable named, in the dump's (runtime) addresses.
#[derive(Debug, Default)]
pub struct ExeNames {
    /// e.g. "ELF amd64, with symbols".
    pub described: String,
    /// Runtime address minus linked address (non-zero for position-independent builds).
    pub bias: u64,
    /// (descriptor address, Go type string), by address.
    pub types: Vec<(u64, String)>,
    /// Type words the dump holds that the executable did not name.
    pub unnamed_types: u64,
    /// Globals in the data and bss segments, by address.
    pub globals: Vec<Global>,
    /// (object, type descriptor) for every object `analysis::typing` typed, by object.
    pub typed: Vec<(super::ObjectId, u64)>,
    /// How many of `typed` the walk reached (the rest are its seeds).
    pub walked: u64,
    /// Globals whose DWARF type the walk started from.
    pub typed_globals: u64,
    /// (runtime address, type key) of each global DWARF describes, by address.
    pub global_types: Vec<(u64, crate::analysis::typing::Key)>,
    /// Values the compiler placed in data or bss that a global points at (`var r =
    /// &T{…}`): (address, size, type key, the global's name), by address.
    pub statics: Vec<(u64, u64, crate::analysis::typing::Key, String)>,
    /// The types typing used, for naming fields along paths.
    pub nodes: std::collections::HashMap<
        crate::analysis::typing::Key,
        std::rc::Rc<crate::analysis::typing::model::Node>,
    >,
}

impl Heap {
    /// Reads names from `exe`, after checking that it is the program that wrote this dump:
    /// the same architecture, and data and bss segments of the sizes the dump has.
    pub fn attach_executable(&mut self, exe: &Executable) -> Result<(), String> {
        if !self.params.arch.is_empty() && self.params.arch != exe.arch {
            return Err(format!(
                "the executable is {} but the dump was written on {}",
                exe.arch, self.params.arch
            ));
        }
        if exe.ptr_size != self.params.ptr_size {
            return Err(format!(
                "the executable has {}-byte pointers, the dump {}-byte ones",
                exe.ptr_size, self.params.ptr_size
            ));
        }
        let mut bias = None;
        for (name, seg, sect) in [("data", &self.data, exe.data), ("bss", &self.bss, exe.bss)] {
            let Some((addr, size)) = sect else { continue };
            if seg.size == 0 {
                continue;
            }
            if seg.size != size {
                return Err(format!(
                    "this executable did not write the dump: its {name} segment is {size} B, the dump's {} B",
                    seg.size
                ));
            }
            let b = seg.addr.wrapping_sub(addr);
            if bias.is_some_and(|x| x != b) {
                return Err("this executable did not write the dump: its data and bss segments lie at other distances".into());
            }
            bias = Some(b);
        }
        let bias =
            bias.ok_or("neither the dump nor the executable has data or bss segments to match")?;
        let mut addrs: Vec<u64> = self
            .header_types
            .iter()
            .map(|h| h.1)
            .chain(self.iface_type_addrs.iter().copied())
            .chain(self.itabs.iter().map(|i| i.typ))
            .chain(self.types.iter().map(|t| t.addr))
            .filter(|&a| a != 0)
            .collect();
        addrs.sort_unstable();
        addrs.dedup();
        let mut names = ExeNames {
            bias,
            described: format!(
                "{} {}, {}",
                exe.format,
                exe.arch,
                if exe.has_symbols {
                    "with symbols"
                } else {
                    "stripped"
                }
            ),
            ..ExeNames::default()
        };
        for a in addrs {
            match exe.type_name(a.wrapping_sub(bias)) {
                Some(n) => names.types.push((a, n)),
                None => names.unnamed_types += 1,
            }
        }
        let in_segment = |a: u64| {
            [&self.data, &self.bss]
                .iter()
                .any(|s| a >= s.addr && a - s.addr < s.size)
        };
        names.globals = exe
            .globals
            .iter()
            .map(|g| Global {
                addr: g.addr.wrapping_add(bias),
                ..g.clone()
            })
            .filter(|g| in_segment(g.addr))
            .collect();
        self.exe = Some(names);
        Ok(())
    }

    /// The executable's name for a type descriptor address.
    pub fn exe_type_name(&self, addr: u64) -> Option<&str> {
        let n = self.exe.as_ref()?;
        let i = n.types.binary_search_by_key(&addr, |t| t.0).ok()?;
        Some(&n.types[i].1)
    }

    /// The global covering a runtime address, with the offset into it.
    pub fn global_at(&self, addr: u64) -> Option<(&str, u64)> {
        let n = self.exe.as_ref()?;
        let i = n
            .globals
            .partition_point(|g| g.addr <= addr)
            .checked_sub(1)?;
        let g = &n.globals[i];
        let off = addr - g.addr;
        (off < g.size).then_some((g.name.as_str(), off))
    }
}
