//! Which inlined function a (function, file, line) frame is in, from the executable's
//! inline tables.
//!
//! A heap dump's memprof bucket names each frame by the function that holds the code (the
//! physical function) but with the file:line of the position, which for inlined code is
//! the inlined callee's: an allocation in `newSession` inlined into `main` reads
//! `main.main (x.go:77)`. Go's DWARF gives each function's inlined calls
//! (`DW_TAG_inlined_subroutine`, nested, with PC ranges and the callee as an abstract
//! origin) and its line program gives the file:line of every PC. Joining the two yields,
//! per physical function, the file:lines whose code is inlined and the innermost callee
//! whose code they are. The dump has no PCs, so a key whose rows lie in different callees,
//! or both inside and outside inlined code (a one-line closure), names nothing.
//!
//! Only those keys are kept: no PCs, no ranges.

use std::collections::HashMap;

use gimli::{EndianSlice, RunTimeEndian};

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// (physical function, file base name, line) → innermost inlined callee, all as indices
/// into [`Inlines::names`].
#[derive(Debug, Default)]
pub struct Inlines {
    /// Function names and file base names, sorted and distinct.
    names: Vec<Box<str>>,
    /// (function, file, line, callee), sorted, one per key.
    sites: Vec<[u32; 4]>,
}

impl Inlines {
    /// The function inlined into `func` whose code is at `file:line`, when the executable
    /// says so unambiguously. Files match by base name: the dump and DWARF spell
    /// directories differently (`-trimpath`, `./`, GOROOT).
    pub fn callee(&self, func: &str, file: &str, line: u64) -> Option<&str> {
        let ix = |s: &str| self.names.binary_search_by(|n| (**n).cmp(s)).ok();
        let key = [
            u32::try_from(ix(func)?).ok()?,
            u32::try_from(ix(base_name(file))?).ok()?,
            u32::try_from(line).ok()?,
        ];
        let i = self.sites.binary_search_by(|s| s[..3].cmp(&key[..])).ok()?;
        self.names.get(self.sites[i][3] as usize).map(|n| &**n)
    }

    /// How many (function, file, line) keys name an inlined callee.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A name while reading: a string (`STR | i`, into `strs`) or a DIE whose `DW_AT_name`
/// it is (`i`, into `dies`), since abstract origins may come after their uses.
type Ref = u32;
const STR: Ref = 1 << 31;
/// Not in inlined code: the physical function's own rows.
const OWN: Ref = u32::MAX;
/// Overlapping ranges that disagree: nothing can be said about these rows.
const AMBIGUOUS: Ref = u32::MAX - 1;
/// Deeper nesting is not followed: it only comes from malformed DWARF.
const MAX_DEPTH: u16 = 64;

/// A function as its DIE names it: by `DW_AT_name`, or by `DW_AT_abstract_origin` (the
/// out-of-line copy of a function that is also inlined elsewhere).
#[derive(Clone, Copy)]
pub(crate) enum FuncName<'a> {
    Name(&'a str),
    Origin(usize),
}

/// A PC range of one function's code: its own (`callee == OWN`, depth 0) or an inlined
/// call's.
#[derive(Clone, Copy)]
struct Span {
    lo: u64,
    hi: u64,
    depth: u16,
    func: Ref,
    callee: Ref,
}

#[derive(Default)]
pub(crate) struct InlineBuilder {
    strs: Vec<String>,
    str_ix: HashMap<String, u32>,
    dies: Vec<usize>,
    die_ix: HashMap<usize, u32>,
    /// `.debug_info` offset of an abstract function → its name.
    die_names: HashMap<usize, String>,
    /// The current function's spans, and scratch for splitting them.
    spans: Vec<Span>,
    events: Vec<(u64, bool, u32)>,
    open: Vec<u32>,
    /// The current unit's code, innermost callee per disjoint PC segment.
    segments: Vec<Span>,
    /// Scratch per unit: inlined rows and the function's own rows.
    inlined_rows: Vec<[u32; 4]>,
    own_rows: Vec<[u32; 3]>,
    /// Agreed (function, file, line, callee) of every unit read.
    sites: Vec<[Ref; 4]>,
}

impl InlineBuilder {
    /// A top-level subprogram that is the abstract origin of inlined copies.
    pub(crate) fn abstract_name(&mut self, die: usize, name: &str) {
        self.die_names.insert(die, name.to_string());
    }

    fn name_ref(&mut self, name: &str) -> Ref {
        if let Some(&i) = self.str_ix.get(name) {
            return STR | i;
        }
        let i = self.strs.len() as u32;
        self.strs.push(name.to_string());
        self.str_ix.insert(name.to_string(), i);
        STR | i
    }

    fn die_ref(&mut self, die: usize) -> Ref {
        *self.die_ix.entry(die).or_insert_with(|| {
            self.dies.push(die);
            (self.dies.len() - 1) as u32
        })
    }

    /// Collects the inlined calls under `node`, a child of the current function:
    /// `DW_TAG_inlined_subroutine`s and the lexical blocks that may hold them.
    pub(crate) fn walk(
        &mut self,
        dwarf: &gimli::Dwarf<R<'_>>,
        unit: &gimli::Unit<R<'_>>,
        node: gimli::EntriesTreeNode<'_, '_, '_, R<'_>>,
        depth: u16,
    ) -> gimli::Result<()> {
        let e = node.entry();
        let mut inner = depth;
        if e.tag() == gimli::DW_TAG_inlined_subroutine {
            inner = depth + 1;
            let origin = match e.attr_value(gimli::DW_AT_abstract_origin)? {
                Some(gimli::AttributeValue::DebugInfoRef(o)) => Some(o.0),
                Some(gimli::AttributeValue::UnitRef(u)) => {
                    u.to_debug_info_offset(&unit.header).map(|o| o.0)
                }
                _ => None,
            };
            // Without its callee the call's code cannot be told from its caller's.
            let callee = match origin {
                Some(o) => self.die_ref(o),
                None => AMBIGUOUS,
            };
            let mut ranges = dwarf.die_ranges(unit, e)?;
            while let Some(r) = ranges.next()? {
                if r.begin < r.end {
                    self.spans.push(Span {
                        lo: r.begin,
                        hi: r.end,
                        depth: inner,
                        func: OWN, // set by `end_function`
                        callee,
                    });
                }
            }
        }
        if inner >= MAX_DEPTH {
            return Ok(());
        }
        let mut children = node.children();
        while let Some(c) = children.next()? {
            if matches!(
                c.entry().tag(),
                gimli::DW_TAG_inlined_subroutine | gimli::DW_TAG_lexical_block
            ) {
                self.walk(dwarf, unit, c, inner)?;
            }
        }
        Ok(())
    }

    /// Ends the function `func` at `[lo, hi)` whose inlined calls `walk` collected (or
    /// failed to: `complete` false drops them, half a tree would misname its rows).
    /// Only functions with inlined calls have their names kept.
    pub(crate) fn end_function(&mut self, lo: u64, hi: u64, func: FuncName, complete: bool) {
        if self.spans.is_empty() || !complete || lo >= hi {
            self.spans.clear();
            return;
        }
        let func = match func {
            FuncName::Name(n) => self.name_ref(n),
            FuncName::Origin(o) => self.die_ref(o),
        };
        for s in &mut self.spans {
            s.func = func;
        }
        self.spans.push(Span {
            lo,
            hi,
            depth: 0,
            func,
            callee: OWN,
        });
        // Split the function into disjoint segments, each with its innermost span: sweep
        // over the span boundaries (ends before starts), keeping the spans open there.
        // Nesting keeps few open; overlapping siblings (malformed) are capped.
        let (mut events, mut open) = (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.open),
        );
        events.clear();
        open.clear();
        for (i, s) in self.spans.iter().enumerate() {
            events.push((s.lo, true, i as u32));
            events.push((s.hi, false, i as u32));
        }
        events.sort_unstable();
        let mut i = 0;
        while i < events.len() {
            let a = events[i].0;
            while let Some(&(_, start, s)) = events.get(i).filter(|e| e.0 == a) {
                if !start {
                    if let Some(k) = open.iter().position(|&o| o == s) {
                        open.swap_remove(k);
                    }
                } else if open.len() < usize::from(MAX_DEPTH) {
                    open.push(s);
                }
                i += 1;
            }
            let Some(&(b, _, _)) = events.get(i) else {
                break;
            };
            let mut best: Option<Span> = None;
            for s in open.iter().map(|&o| self.spans[o as usize]) {
                best = match best {
                    None => Some(s),
                    Some(x) if s.depth > x.depth => Some(s),
                    Some(x) if s.depth == x.depth && s.callee != x.callee => Some(Span {
                        callee: AMBIGUOUS,
                        ..x
                    }),
                    keep => keep,
                };
            }
            let Some(s) = best else { continue };
            match self.segments.last_mut() {
                Some(p) if p.hi == a && p.func == s.func && p.callee == s.callee => p.hi = b,
                _ => self.segments.push(Span { lo: a, hi: b, ..s }),
            }
        }
        self.spans.clear();
        (self.events, self.open) = (events, open);
    }

    /// Ends a unit: reads its line program for the rows in its functions' segments. A
    /// line program that cannot be read leaves the unit's inlined frames unnamed.
    pub(crate) fn end_unit(&mut self, dwarf: &gimli::Dwarf<R<'_>>, unit: &gimli::Unit<R<'_>>) {
        if !self.segments.is_empty() && self.unit_rows(dwarf, unit).is_ok() {
            self.agree();
        }
        self.spans.clear();
        self.segments.clear();
        self.inlined_rows.clear();
        self.own_rows.clear();
    }

    fn unit_rows(
        &mut self,
        dwarf: &gimli::Dwarf<R<'_>>,
        unit: &gimli::Unit<R<'_>>,
    ) -> gimli::Result<()> {
        self.segments.sort_unstable_by_key(|s| s.lo);
        // Functions that overlap (malformed DWARF): their rows are nobody's.
        for i in 1..self.segments.len() {
            if self.segments[i].lo < self.segments[i - 1].hi {
                self.segments[i].callee = AMBIGUOUS;
                self.segments[i - 1].callee = AMBIGUOUS;
            }
        }
        let Some(program) = unit.line_program.clone() else {
            return Ok(());
        };
        let mut files: Vec<Option<Ref>> = Vec::new();
        let mut rows = program.rows();
        let mut at = 0usize;
        while let Some((header, row)) = rows.next_row()? {
            if row.end_sequence() {
                continue;
            }
            let Some(line) = row.line().and_then(|l| u32::try_from(l.get()).ok()) else {
                continue;
            };
            let pc = row.address();
            let segs = &self.segments;
            // `at` is the first segment ending after `pc`. Rows ascend within a sequence:
            // it stays or moves on by one, also across code without inlined calls.
            if segs.get(at).is_some_and(|s| s.hi <= pc) {
                at += 1;
                if segs.get(at).is_some_and(|s| s.hi <= pc) {
                    at += segs[at..].partition_point(|s| s.hi <= pc);
                }
            } else if at > 0 && pc < segs[at - 1].hi {
                at = segs.partition_point(|s| s.hi <= pc);
            }
            let Some(&seg) = segs.get(at).filter(|s| s.lo <= pc) else {
                continue;
            };
            let Ok(fi) = usize::try_from(row.file_index()) else {
                continue;
            };
            if fi >= files.len() {
                if fi > header.file_names().len() + 1 {
                    continue;
                }
                files.resize(fi + 1, None);
            }
            let file = match files[fi] {
                Some(f) => f,
                None => {
                    let Some(entry) = row.file(header) else {
                        continue;
                    };
                    let path = dwarf.attr_string(unit, entry.path_name())?;
                    let path = String::from_utf8_lossy(path.slice());
                    let f = self.name_ref(base_name(&path));
                    files[fi] = Some(f);
                    f
                }
            };
            // Consecutive rows often repeat a key (columns, statement marks): once is enough.
            if seg.callee == OWN {
                let r = [seg.func, file, line];
                if self.own_rows.last() != Some(&r) {
                    self.own_rows.push(r);
                }
            } else {
                let r = [seg.func, file, line, seg.callee];
                if self.inlined_rows.last() != Some(&r) {
                    self.inlined_rows.push(r);
                }
            }
        }
        Ok(())
    }

    /// Keeps the unit's keys whose every row is inlined code of one callee.
    fn agree(&mut self) {
        let rows = &mut self.inlined_rows;
        rows.sort_unstable();
        rows.dedup();
        let mut agreed: Vec<[Ref; 4]> = Vec::new();
        for group in rows.chunk_by(|a, b| a[..3] == b[..3]) {
            if group.len() == 1 && group[0][3] != AMBIGUOUS {
                agreed.push(group[0]);
            }
        }
        if agreed.is_empty() {
            return;
        }
        // The function's own rows at an agreed key void it. Most own rows are on lines
        // no inlined row has: a bitmap of those lines skips the search for them.
        let max_line = agreed.iter().map(|k| k[2]).max().unwrap_or(0) as usize;
        let bitmap = (max_line < 1 << 22).then(|| {
            let mut b = vec![0u64; max_line / 64 + 1];
            for k in &agreed {
                b[k[2] as usize / 64] |= 1 << (k[2] % 64);
            }
            b
        });
        let mut void = vec![false; agreed.len()];
        for r in &self.own_rows {
            let l = r[2] as usize;
            if let Some(b) = &bitmap {
                if b.get(l / 64).is_none_or(|w| w & (1 << (l % 64)) == 0) {
                    continue;
                }
            }
            if let Ok(i) = agreed.binary_search_by(|k| k[..3].cmp(&r[..])) {
                void[i] = true;
            }
        }
        self.sites.extend(
            agreed
                .into_iter()
                .zip(void)
                .filter(|(_, v)| !v)
                .map(|(k, _)| k),
        );
    }

    pub(crate) fn finish(self) -> Inlines {
        let InlineBuilder {
            strs,
            dies,
            die_names,
            mut sites,
            ..
        } = self;
        // Each name once: the refs the sites use, resolved, sorted.
        let name = |r: Ref| -> Option<&str> {
            if r & STR != 0 {
                strs.get((r & !STR) as usize).map(String::as_str)
            } else {
                die_names.get(dies.get(r as usize)?).map(String::as_str)
            }
        };
        let mut refs: Vec<Ref> = sites.iter().flat_map(|s| [s[0], s[1], s[3]]).collect();
        refs.sort_unstable();
        refs.dedup();
        let mut named: Vec<(&str, Ref)> = refs
            .into_iter()
            .filter_map(|r| Some((name(r).filter(|n| !n.is_empty())?, r)))
            .collect();
        named.sort_unstable();
        let mut names: Vec<Box<str>> = Vec::new();
        let mut index: HashMap<Ref, u32> = HashMap::with_capacity(named.len());
        for (n, r) in named {
            if names.last().is_none_or(|l| **l != *n) {
                names.push(n.into());
            }
            index.insert(r, (names.len() - 1) as u32);
        }
        sites.retain_mut(|s| {
            let (Some(&f), Some(&file), Some(&c)) =
                (index.get(&s[0]), index.get(&s[1]), index.get(&s[3]))
            else {
                return false;
            };
            *s = [f, file, s[2], c];
            f != c
        });
        sites.sort_unstable();
        sites.dedup();
        // The same key from two units (only in malformed DWARF) with two callees: neither.
        let mut out = Vec::with_capacity(sites.len());
        for group in sites.chunk_by(|a, b| a[..3] == b[..3]) {
            if group.len() == 1 {
                out.push(group[0]);
            }
        }
        Inlines { names, sites: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(lo: u64, hi: u64, depth: u16, callee: Ref) -> Span {
        Span {
            lo,
            hi,
            depth,
            func: OWN,
            callee,
        }
    }

    /// Nested calls split the function into segments by innermost callee; a key is kept
    /// only when all its rows are one callee's code.
    #[test]
    fn innermost_callee_and_disagreement() {
        let mut b = InlineBuilder::default();
        for (die, name) in [(1, "p.a"), (2, "p.b"), (3, "p.c")] {
            b.abstract_name(die, name);
        }
        let (a, bb, c) = (b.die_ref(1), b.die_ref(2), b.die_ref(3));
        b.spans = vec![span(10, 50, 1, a), span(20, 30, 2, bb), span(60, 70, 1, c)];
        b.end_function(0, 100, FuncName::Name("p.f"), true);
        let segs: Vec<(u64, u64, Ref)> =
            b.segments.iter().map(|s| (s.lo, s.hi, s.callee)).collect();
        assert_eq!(
            segs,
            [
                (0, 10, OWN),
                (10, 20, a),
                (20, 30, bb),
                (30, 50, a),
                (50, 60, OWN),
                (60, 70, c),
                (70, 100, OWN)
            ]
        );
        let (f, file) = (b.name_ref("p.f"), b.name_ref("x.go"));
        b.inlined_rows = vec![
            [f, file, 5, bb],
            [f, file, 6, a],
            [f, file, 7, a],
            [f, file, 7, c],
            [f, file, 8, AMBIGUOUS],
        ];
        b.own_rows = vec![[f, file, 6]];
        b.agree();
        let inl = b.finish();
        assert_eq!(inl.callee("p.f", "dir/x.go", 5), Some("p.b"));
        assert_eq!(
            inl.callee("p.f", "x.go", 6),
            None,
            "also the function's own code"
        );
        assert_eq!(inl.callee("p.f", "x.go", 7), None, "two callees");
        assert_eq!(inl.callee("p.f", "x.go", 8), None, "overlapping calls");
        assert_eq!(inl.len(), 1);
    }

    /// Overlapping calls at one depth (malformed) name nothing where they overlap.
    #[test]
    fn overlapping_siblings_are_ambiguous() {
        let mut b = InlineBuilder::default();
        let (a, c) = (b.die_ref(1), b.die_ref(2));
        b.spans = vec![span(10, 30, 1, a), span(20, 40, 1, c)];
        b.end_function(0, 50, FuncName::Origin(9), true);
        let segs: Vec<(u64, u64, Ref)> =
            b.segments.iter().map(|s| (s.lo, s.hi, s.callee)).collect();
        assert_eq!(
            segs,
            [
                (0, 10, OWN),
                (10, 20, a),
                (20, 30, AMBIGUOUS),
                (30, 40, c),
                (40, 50, OWN)
            ]
        );
    }
}
