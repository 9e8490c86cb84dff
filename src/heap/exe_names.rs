//! Names from the executable that wrote the dump, attached to a built heap: type names for
//! the type words the dump holds, global names for its data and bss roots, and the inlined
//! functions that allocation frames are in.

use crate::exe::model::Key;
use crate::exe::{Executable, Global};

use super::{BucketFrame, Heap, StrId};

/// What the executable named, in the dump's (runtime) addresses.
#[derive(Debug, Default)]
pub struct ExeNames {
    /// e.g. "ELF amd64, with symbols".
    pub described: String,
    /// What proved it wrote the dump, e.g. "data and bss segments, go1.27.3, 40 frames".
    pub matched: String,
    /// Runtime address minus linked address (non-zero for position-independent builds).
    pub bias: u64,
    /// (descriptor address, Go type string), by address.
    pub types: Vec<(u64, String)>,
    /// Type words the dump holds that the executable did not name.
    pub unnamed_types: u64,
    /// Globals in the data and bss segments, by address.
    pub globals: Vec<Global>,
    /// Each object's type as `analysis::typing` found it: an index into `keys` (0: not
    /// typed), 4 B per object.
    pub object_types: Vec<u32>,
    /// The type keys `object_types` indexes; `keys[0]` is unused.
    pub keys: Vec<crate::exe::model::Key>,
    /// How many objects are typed.
    pub typed: u64,
    /// How many of `typed` the walk reached (the rest are its seeds).
    pub walked: u64,
    /// Globals whose DWARF type the walk started from.
    pub typed_globals: u64,
    /// (runtime address, type key) of each global DWARF describes, by address.
    pub global_types: Vec<(u64, crate::exe::model::Key)>,
    /// Values the compiler placed in data or bss that a global points at (`var r =
    /// &T{…}`): (address, size, type key, the global's name), by address.
    pub statics: Vec<(u64, u64, crate::exe::model::Key, String)>,
    /// The variable each typed frame root is in, by (frame, offset): `arg h`, `local buf`.
    pub frame_vars: Vec<((u32, u64), String)>,
    /// The types typing used, for naming fields along paths.
    pub nodes: crate::exe::model::Nodes,
    /// Memprof frames whose file:line is code inlined into the frame's function: (function,
    /// file, line) as the dump has them → the inlined function, by key.
    pub inlined: Vec<((StrId, StrId, u64), String)>,
}

impl Heap {
    /// Reads names from `exe`, after checking that it is the program that wrote this dump:
    /// the same architecture, data and bss segments of the sizes the dump has (their
    /// distance gives a PIE's slide), the same Go version, and stack frames whose functions
    /// are the executable's functions at those addresses.
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
        if let (Some(built), false) = (&exe.go_version, self.params.go_version.is_empty()) {
            if self.params.go_version.starts_with("go") && *built != self.params.go_version {
                return Err(format!(
                    "this executable did not write the dump: it was built by {built}, the dump was written by {}",
                    self.params.go_version
                ));
            }
        }
        // Stack frames name the function at their entry PC: the executable's symbol there
        // must have that name (a stripped binary has no symbols to check).
        let mut frames_checked = 0u64;
        for f in self.frames.iter().filter(|f| f.entry_pc != 0).take(256) {
            let Some(name) = exe.func_at(f.entry_pc.wrapping_sub(bias)) else {
                continue;
            };
            let dumped = self.str(f.func);
            // Assembly functions' symbols carry their ABI (`runtime.systemstack_switch.abi0`).
            let name = name.strip_suffix(".abi0").unwrap_or(name);
            if !dumped.is_empty() && name != dumped {
                return Err(format!(
                    "this executable did not write the dump: the function at 0x{:x} is {name} in it, {dumped} in the dump",
                    f.entry_pc
                ));
            }
            frames_checked += 1;
        }
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
        let mut matched = "data and bss segments".to_string();
        if let Some(v) = &exe.go_version {
            matched.push_str(&format!(", {v}"));
        }
        if frames_checked > 0 {
            matched.push_str(&format!(", {frames_checked} stack frames' functions"));
        }
        let mut names = ExeNames {
            bias,
            matched,
            described: format!(
                "{} {}, {}",
                exe.format,
                exe.arch,
                match (exe.has_symbols, exe.dwarf.is_some()) {
                    (true, true) => "with symbols and DWARF",
                    (true, false) => "with symbols, without DWARF",
                    (false, true) => "without symbols, with DWARF",
                    (false, false) => "stripped",
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
        // Resolved once per distinct frame: only the few names the buckets use are kept.
        if let Some(d) = &exe.dwarf {
            if !d.inlines.is_empty() {
                let mut keys: Vec<(StrId, StrId, u64)> = self
                    .bucket_frames
                    .iter()
                    .map(|f| (f.func, f.file, f.line))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                names.inlined = keys
                    .into_iter()
                    .filter_map(|k| {
                        let callee = d.inlines.callee(self.str(k.0), self.str(k.1), k.2)?;
                        Some((k, callee.to_string()))
                    })
                    .collect();
            }
        }
        self.exe = Some(names);
        Ok(())
    }

    /// The inlined function whose code a memprof frame is in (the frame names the function
    /// it was inlined into), from the executable's inline tables.
    pub fn inlined_callee(&self, f: &BucketFrame) -> Option<&str> {
        let n = self.exe.as_ref()?;
        let i = n
            .inlined
            .binary_search_by_key(&(f.func, f.file, f.line), |e| e.0)
            .ok()?;
        Some(&n.inlined[i].1)
    }

    /// The stack variable a frame's pointer word belongs to (`arg h`), from DWARF.
    pub fn frame_var(&self, frame: u32, offset: u64) -> Option<&str> {
        let n = self.exe.as_ref()?;
        let i = n
            .frame_vars
            .binary_search_by_key(&(frame, offset), |v| v.0)
            .ok()?;
        Some(&n.frame_vars[i].1)
    }

    /// The type key `analysis::typing` gave an object.
    pub fn object_type(&self, o: super::ObjectId) -> Option<crate::exe::model::Key> {
        let n = self.exe.as_ref()?;
        let i = *n.object_types.get(o as usize)?;
        (i != 0).then(|| n.keys[i as usize])
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

    /// The type covering a data or bss address: (type key, offset into the value, the
    /// global that points at it when the value is one the compiler laid out in data or
    /// bss, `None` for a global itself).
    pub fn global_type(&self, addr: u64) -> Option<(Key, u64, Option<&str>)> {
        let n = self.exe.as_ref()?;
        let st = n
            .statics
            .partition_point(|s| s.0 <= addr)
            .checked_sub(1)
            .map(|i| &n.statics[i])
            .filter(|s| addr - s.0 < s.1);
        if let Some((at, _, k, owner)) = st {
            return Some((*k, addr - at, Some(owner.as_str())));
        }
        let (_, off) = self.global_at(addr)?;
        let g = n
            .global_types
            .partition_point(|g| g.0 <= addr)
            .checked_sub(1)
            .map(|i| n.global_types[i])?;
        (addr - g.0 == off).then_some((g.1, off, None))
    }

    /// A data or bss address as Go names it: `main.cfg.handlers[2]` inside a global
    /// (typed by DWARF), `main.registry .tenants` inside the value a global points at that
    /// the compiler laid out in data or bss, or `main.cache+0x8` by symbol alone.
    pub fn global_field(&self, addr: u64) -> Option<String> {
        let nodes = &self.exe.as_ref()?.nodes;
        let typed = self.global_type(addr);
        if let Some((k, off, Some(owner))) = typed {
            let f = crate::exe::model::field_path(nodes, k, off);
            return Some(format!("{owner} {f}").trim_end().to_string());
        }
        let (name, off) = self.global_at(addr)?;
        Some(match typed {
            Some((k, _, _)) => format!("{name}{}", crate::exe::model::field_path(nodes, k, off)),
            None if off > 0 => format!("{name}+0x{off:x}"),
            None => name.to_string(),
        })
    }
}
