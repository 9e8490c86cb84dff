//! The Go executable that wrote a dump: names for what the dump only has addresses of.
//!
//! A heap dump stores no types and no symbol names; the program that wrote it has both.
//! From the executable (ELF, Mach-O or PE, read with the `object` crate) this module takes
//! - the data and bss symbols: the names of globals, so a root reads `main.cache` instead
//!   of "bss +0x10";
//! - the runtime's type descriptors (`internal/abi.Type`, the same layout in Go 1.19–1.27):
//!   the name of the type behind every type word the dump holds (Go 1.22+ malloc headers,
//!   interface words). Descriptors keep their names in stripped binaries too: their base
//!   (`moduledata.types`) is the `runtime.types` symbol, or, without symbols, read from
//!   the module data the runtime itself starts from.
//!
//! - its DWARF (`dwarf`): Go's types with their fields, the runtime's map and channel
//!   internals per key and element type, the globals' types, and its inline tables
//!   (`inline`): which inlined function an allocation frame's file:line is in;
//! - its build info: the Go version, checked against the dump's.
//!
//! See `ARCHITECTURE.md`.

use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};

pub mod dwarf;
pub mod inline;
pub mod model;
pub mod types;

/// Why an executable could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExeError(pub String);

impl std::fmt::Display for ExeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A global variable: a data or bss symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub addr: u64,
    pub size: u64,
    pub name: String,
}

/// What dumpscope keeps of an executable.
#[derive(Debug, Default)]
pub struct Executable {
    /// "ELF", "Mach-O" or "PE".
    pub format: &'static str,
    /// Go's GOARCH spelling: amd64, arm64, 386, arm.
    pub arch: &'static str,
    pub ptr_size: u8,
    pub big_endian: bool,
    /// False when the symbol table is gone (`-ldflags=-s`, `strip`).
    pub has_symbols: bool,
    /// Data and bss symbols, by address.
    pub globals: Vec<Global>,
    /// Function symbols: (entry address, name), by address.
    pub funcs: Vec<(u64, String)>,
    /// The data and bss sections as linked: (address, size).
    pub data: Option<(u64, u64)>,
    pub bss: Option<(u64, u64)>,
    /// Where type descriptors' name offsets count from (`moduledata.types`).
    pub types_base: Option<u64>,
    /// The Go version that built it (`go1.27.3`), from its build info.
    pub go_version: Option<String>,
    /// Its DWARF's types and globals; `None` when built with `-ldflags=-w` or stripped.
    pub dwarf: Option<dwarf::Dwarf>,
    /// Why DWARF that is there could not be read.
    pub dwarf_error: Option<String>,
    /// Read-only and data sections' bytes: type descriptors, names, module data.
    sections: Vec<(u64, Vec<u8>)>,
}

const TFLAG_EXTRA_STAR: u8 = 1 << 1;

impl Executable {
    pub fn parse(bytes: &[u8]) -> Result<Executable, ExeError> {
        Executable::from_file(
            object::File::parse(bytes)
                .map_err(|e| ExeError(format!("not an executable this tool reads ({e})")))?,
        )
    }

    /// Reads an executable through `src`, reading only what naming needs (headers,
    /// symbols, DWARF, read-only data and data; not the code or the PC tables): a browser
    /// tab reads a large binary without holding all of it.
    pub fn parse_from<R: object::ReadCacheOps>(src: R) -> Result<Executable, ExeError> {
        let cache = object::ReadCache::new(src);
        let file = object::File::parse(&cache)
            .map_err(|e| ExeError(format!("not an executable this tool reads ({e})")))?;
        Executable::from_file(file)
    }

    fn from_file<'d, R: object::ReadRef<'d>>(
        file: object::File<'d, R>,
    ) -> Result<Executable, ExeError> {
        let format = match file.format() {
            object::BinaryFormat::Elf => "ELF",
            object::BinaryFormat::MachO => "Mach-O",
            object::BinaryFormat::Pe => "PE",
            f => return Err(ExeError(format!("{f:?} executables are not supported"))),
        };
        let arch = match file.architecture() {
            object::Architecture::X86_64 => "amd64",
            object::Architecture::Aarch64 => "arm64",
            object::Architecture::I386 => "386",
            object::Architecture::Arm => "arm",
            a => return Err(ExeError(format!("architecture {a:?} is not supported"))),
        };
        let mut exe = Executable {
            format,
            arch,
            ptr_size: if file.is_64() { 8 } else { 4 },
            big_endian: !file.is_little_endian(),
            ..Executable::default()
        };
        for s in file.sections() {
            let name = s.name().unwrap_or("");
            let plain = name.trim_start_matches(['.', '_']);
            match plain {
                "data" if exe.data.is_none() => exe.data = Some((s.address(), s.size())),
                "bss" if exe.bss.is_none() => exe.bss = Some((s.address(), s.size())),
                _ => {}
            }
            // Type descriptors and their names are read-only data, the module data is
            // data; the PC tables, function data and link tables are not needed.
            let unneeded = ["gopclntab", "go.func", "typelink", "itablink", "gosymtab"]
                .iter()
                .any(|n| plain == *n || plain.ends_with(&format!(".{n}")));
            let keep = !unneeded
                && matches!(
                    s.kind(),
                    SectionKind::ReadOnlyData
                        | SectionKind::ReadOnlyString
                        | SectionKind::ReadOnlyDataWithRel
                        | SectionKind::Data
                );
            if keep && s.address() != 0 {
                // Compressed or unreadable sections are skipped, not fatal.
                if let Ok(data) = s.uncompressed_data() {
                    exe.sections.push((s.address(), data.into_owned()));
                }
            }
        }
        exe.sections.sort_by_key(|s| s.0);
        let strip = |n: &str| -> String {
            // Mach-O prefixes C symbol names with '_'; Go's names start with a package.
            if format == "Mach-O" {
                n.strip_prefix('_').unwrap_or(n).to_string()
            } else {
                n.to_string()
            }
        };
        let mut marks: [Option<u64>; 4] = [None; 4];
        for sym in file.symbols() {
            exe.has_symbols = true;
            let Ok(name) = sym.name() else { continue };
            let name = strip(name);
            match name.as_str() {
                "runtime.types" => exe.types_base = Some(sym.address()),
                "runtime.data" => marks[0] = Some(sym.address()),
                "runtime.edata" => marks[1] = Some(sym.address()),
                "runtime.bss" => marks[2] = Some(sym.address()),
                "runtime.ebss" => marks[3] = Some(sym.address()),
                _ => {}
            }
            if sym.kind() == SymbolKind::Text && !name.is_empty() {
                exe.funcs.push((sym.address(), name.clone()));
            }
            // Mach-O and PE symbols carry no size (0): it is taken from the next symbol.
            let sized = sym.size() > 0 || format != "ELF";
            if sym.kind() == SymbolKind::Data && sized && !name.is_empty() {
                exe.globals.push(Global {
                    addr: sym.address(),
                    size: sym.size(),
                    name,
                });
            }
        }
        // The runtime's own bounds of its data and bss segments (what a dump records), where
        // the sections differ: PE merges bss into its .data section.
        if let [Some(d), Some(ed), Some(b), Some(eb)] = marks {
            if d <= ed && b <= eb {
                exe.data = Some((d, ed - d));
                exe.bss = Some((b, eb - b));
            }
        }
        exe.globals
            .sort_by_key(|g| (g.addr, std::cmp::Reverse(g.size)));
        exe.globals.dedup_by_key(|g| g.addr);
        for i in 0..exe.globals.len() {
            if exe.globals[i].size == 0 {
                let next = exe.globals.get(i + 1).map(|n| n.addr);
                let end = [exe.data, exe.bss]
                    .into_iter()
                    .flatten()
                    .map(|(a, n)| a.saturating_add(n))
                    .find(|&e| e > exe.globals[i].addr);
                let end = match (next, end) {
                    (Some(n), Some(e)) => n.min(e),
                    (n, e) => n.or(e).unwrap_or(exe.globals[i].addr),
                };
                exe.globals[i].size = end.saturating_sub(exe.globals[i].addr);
            }
        }
        exe.globals.retain(|g| g.size > 0);
        exe.funcs.sort();
        exe.funcs.dedup_by_key(|f| f.0);
        if exe.types_base.is_none() {
            exe.types_base = exe.types_from_moduledata(&file);
        }
        exe.go_version = file
            .sections()
            .find(|s| matches!(s.name(), Ok(".go.buildinfo" | "__go_buildinfo")))
            .and_then(|s| s.data().ok())
            .and_then(build_info_version)
            .or_else(|| {
                // PE has no section of its own for it: the build info starts 16-byte
                // aligned in its data.
                exe.sections.iter().find_map(|(_, data)| {
                    (0..data.len().saturating_sub(32))
                        .step_by(16)
                        .find(|&i| data[i..].starts_with(BUILD_INFO_MAGIC))
                        .and_then(|i| build_info_version(&data[i..]))
                })
            });
        match dwarf::Dwarf::read(&file) {
            Ok(d) => exe.dwarf = d,
            Err(e) => exe.dwarf_error = Some(e),
        }
        Ok(exe)
    }

    /// Without symbols: the module data is the data word that points at the pclntab, and
    /// its `types` field sits after the fixed fields before it (Go 1.20+ added two).
    fn types_from_moduledata<'d, R: object::ReadRef<'d>>(
        &self,
        file: &object::File<'d, R>,
    ) -> Option<u64> {
        let pclntab = file
            .sections()
            .find(|s| {
                let n = s.name().unwrap_or("");
                n == ".gopclntab" || n == "__gopclntab"
            })?
            .address();
        let p = u64::from(self.ptr_size);
        for (base, data) in &self.sections {
            let mut off = 0u64;
            while off + p <= data.len() as u64 {
                if self.word_in(data, off) == Some(pclntab) {
                    let start = base + off;
                    for types_word in [37u64, 35] {
                        let types = self.word(start + types_word * p)?;
                        let etypes = self.word(start + (types_word + 2) * p);
                        let etypes_old = self.word(start + (types_word + 1) * p);
                        let ends = [etypes, etypes_old];
                        if types != 0
                            && ends.iter().flatten().any(|&e| e > types)
                            && self.read(types, 1).is_some()
                        {
                            return Some(types);
                        }
                    }
                }
                off += p;
            }
        }
        None
    }

    /// `len` bytes at a linked address, if a kept section holds them.
    pub fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let i = self
            .sections
            .partition_point(|s| s.0 <= addr)
            .checked_sub(1)?;
        let (base, data) = &self.sections[i];
        let off = usize::try_from(addr - base).ok()?;
        data.get(off..off.checked_add(len)?)
    }

    fn word_in(&self, data: &[u8], off: u64) -> Option<u64> {
        let off = usize::try_from(off).ok()?;
        let b = data.get(off..off + usize::from(self.ptr_size))?;
        Some(self.uint(b))
    }

    pub fn word(&self, addr: u64) -> Option<u64> {
        self.read(addr, usize::from(self.ptr_size))
            .map(|b| self.uint(b))
    }

    pub(crate) fn uint(&self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.big_endian {
            for &x in b {
                v = v << 8 | u64::from(x);
            }
        } else {
            for &x in b.iter().rev() {
                v = v << 8 | u64::from(x);
            }
        }
        v
    }

    /// The Go type string of the descriptor at a linked address, e.g. `*main.entry`,
    /// `map[string]*main.entry`, `[]uint8`.
    pub fn type_name(&self, addr: u64) -> Option<String> {
        let base = self.types_base?;
        let p = u64::from(self.ptr_size);
        // internal/abi.Type: Size_, PtrBytes, Hash u32, TFlag, Align_, FieldAlign_, Kind_,
        // Equal, GCData, Str (int32 offset from the types base), PtrToThis.
        let head = self.read(addr, (4 * p + 16) as usize)?;
        let tflag = head[(2 * p + 4) as usize];
        let s = (4 * p + 8) as usize;
        let str_off = self.uint(&head[s..s + 4]) as u32 as i32;
        let at = base.checked_add_signed(i64::from(str_off))?;
        let name = self.name_at(at)?;
        let name = if tflag & TFLAG_EXTRA_STAR != 0 {
            name.strip_prefix('*').unwrap_or(&name).to_string()
        } else {
            name
        };
        (!name.is_empty()).then_some(name)
    }

    /// An `internal/abi.Name` (Go 1.17+): a flags byte, a uvarint length, the bytes.
    pub(crate) fn name_at(&self, addr: u64) -> Option<String> {
        let head = self.read(addr, 1)?;
        let _flags = head[0];
        let mut len = 0u64;
        let mut shift = 0;
        let mut at = addr + 1;
        loop {
            let b = self.read(at, 1)?[0];
            at += 1;
            len |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 28 {
                return None;
            }
        }
        let bytes = self.read(at, usize::try_from(len).ok()?)?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The function whose entry is at a linked address.
    pub fn func_at(&self, entry: u64) -> Option<&str> {
        let i = self.funcs.binary_search_by_key(&entry, |f| f.0).ok()?;
        Some(&self.funcs[i].1)
    }

    /// The global whose symbol covers a linked address, with the offset into it.
    pub fn global_at(&self, addr: u64) -> Option<(&Global, u64)> {
        let i = self
            .globals
            .partition_point(|g| g.addr <= addr)
            .checked_sub(1)?;
        let g = &self.globals[i];
        let off = addr - g.addr;
        (off < g.size.max(1)).then_some((g, off))
    }
}

/// The Go version in a `.go.buildinfo` section: a 14-byte magic, the pointer size, a flags
/// byte; with flag 2 (Go 1.18+) the version string follows at byte 32, length-prefixed by a
/// uvarint.
const BUILD_INFO_MAGIC: &[u8] = b"\xff Go buildinf:";

fn build_info_version(b: &[u8]) -> Option<String> {
    if b.len() < 33 || &b[..14] != BUILD_INFO_MAGIC || b[15] & 2 == 0 {
        return None;
    }
    let (mut len, mut shift, mut at) = (0usize, 0, 32);
    loop {
        let x = *b.get(at)?;
        at += 1;
        len |= usize::from(x & 0x7f) << shift;
        if x & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return None;
        }
    }
    let v = b.get(at..at.checked_add(len)?)?;
    Some(String::from_utf8_lossy(v).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_an_executable_is_an_error() {
        let e = Executable::parse(b"go1.7 heap dump\n").unwrap_err();
        assert!(e.0.contains("not an executable"), "{e}");
    }
}
