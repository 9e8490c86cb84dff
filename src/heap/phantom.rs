//! Go 1.22+ "phantom" object records: span-tail metadata dumped as if it were objects.
//!
//! The runtime's dumper visits `span bytes / elemsize` slots per span but marks as free
//! only the first `nelems`, so slots at index ≥ `nelems` are dumped in every span, whatever
//! was allocated: they are the phantoms. Since Go 1.22, small-object spans reserve their
//! tail: spans of pointerful objects of at most 512 bytes (128 on 32-bit) keep their pointer
//! bitmap there (`span bytes / ptrsize / 8`), and with the Green Tea collector (the default
//! from Go 1.26, `GOEXPERIMENT=nogreenteagc` turns it off) spans of 16..=512 byte objects
//! also keep 128 bytes of inline mark bits. All such spans are one 8 KiB page, so a slot's
//! span is its page.
//!
//! The dump does not say which collector the binary used, so the layout is decided by
//! two kinds of evidence that do not depend on each other:
//! - per-span slot arithmetic: a layout claims slots `nelems..n` of every small span are
//!   dumped; one span that lacks a claimed slot refutes it (those slots are never free);
//! - the count: the objects left must equal MemStats `HeapObjects`.
//!
//! The layout both agree on wins. Where they disagree or decide nothing, the Go version's
//! default is kept and [`SpanTails::basis`] says why, for `summary` to show.

use serde::{Deserialize, Serialize};

use super::model::{flags, Params};
use super::Column64;

const PAGE: u64 = 8192;
const INLINE_MARK_BITS: u64 = 128;

/// How a dump's span tails are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TailLayout {
    /// Before Go 1.22 (or no version string): spans keep no metadata in their tail.
    #[default]
    None,
    /// Go 1.22+: pointerful small spans end in their pointer bitmap.
    PointerBitmap,
    /// Go 1.22+ with the Green Tea GC: also 128 bytes of inline mark bits.
    GreenTea,
}

impl TailLayout {
    pub fn describe(self) -> &'static str {
        match self {
            TailLayout::None => "none (Go before 1.22)",
            TailLayout::PointerBitmap => "pointer bitmap (Go 1.22+)",
            TailLayout::GreenTea => "pointer bitmap + Green Tea mark bits (Go 1.22+)",
        }
    }
}

/// What was decided about span tails, and on what evidence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanTails {
    pub layout: TailLayout,
    /// Small spans whose tail held metadata slots under the chosen layout.
    pub spans: u64,
    /// Why this layout, in one sentence.
    pub basis: String,
    /// Set when the evidence did not settle it: the counts may be off.
    pub uncertain: bool,
}

/// What one layout predicts for a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Evaluation {
    phantoms: u64,
    spans: u64,
    /// The first span lacking a slot this layout says is always dumped: (page, slot size,
    /// missing slot index).
    refuted_at: Option<(u64, u64, u64)>,
}

pub(crate) struct PhantomRule {
    layout: TailLayout,
    small_max: u64,
    bitmap: u64,
}

impl PhantomRule {
    fn new(params: &Params, layout: TailLayout) -> PhantomRule {
        let ps = u64::from(params.ptr_size.max(4));
        PhantomRule {
            layout,
            small_max: ps * ps * 8,
            bitmap: PAGE / ps / 8,
        }
    }

    /// Picks the layout for this dump; `order` lists decode indices in address order.
    pub fn choose(
        params: &Params,
        heap_objects: Option<u64>,
        addr: &[u64],
        size: &Column64,
        fl: &[u8],
        order: &[u32],
    ) -> (PhantomRule, SpanTails) {
        let minor = match params.go_minor() {
            Some((1, minor)) if minor >= 22 => minor,
            _ => {
                let tails = SpanTails {
                    basis: "dumps before Go 1.22 have no span-tail records".into(),
                    ..SpanTails::default()
                };
                return (PhantomRule::new(params, TailLayout::None), tails);
            }
        };
        let default = if minor >= 26 {
            TailLayout::GreenTea
        } else {
            TailLayout::PointerBitmap
        };
        let other = match default {
            TailLayout::GreenTea => TailLayout::PointerBitmap,
            _ => TailLayout::GreenTea,
        };
        let n = order.len() as u64;
        let eval = |l: TailLayout| PhantomRule::new(params, l).evaluate(addr, size, fl, order);
        let (d, o) = (eval(default), eval(other));
        let counts = |e: &Evaluation| n - e.phantoms;
        let fits = |e: &Evaluation| heap_objects.is_none_or(|h| counts(e) == h);
        let refutation = |l: TailLayout, e: &Evaluation| {
            e.refuted_at.map(|(page, s, slot)| {
                format!(
                    "the {} layout is refuted by the span at 0x{page:x} ({s}-byte slots), which lacks slot {slot}",
                    short(l)
                )
            })
        };
        let expected = heap_objects.map_or(String::new(), |h| format!(" = HeapObjects {h}"));
        let pick = |l: TailLayout, e: &Evaluation, basis: String, uncertain: bool| {
            let tails = SpanTails {
                layout: l,
                spans: e.spans,
                basis,
                uncertain,
            };
            (PhantomRule::new(params, l), tails)
        };
        // Evidence for each layout: not refuted by any span, and count as expected.
        let good = |e: &Evaluation| e.refuted_at.is_none() && fits(e);
        match (good(&d), good(&o)) {
            (true, false) | (true, true) => {
                let mut basis = format!(
                    "every one of {} small spans holds the tail slots this layout claims, leaving {} objects{expected}",
                    d.spans,
                    counts(&d)
                );
                if let Some(r) = refutation(other, &o) {
                    basis += &format!("; {r}");
                } else if d == o {
                    basis += " (no span tells the layouts apart)";
                }
                pick(default, &d, basis, false)
            }
            (false, true) => {
                let mut basis = format!(
                    "every one of {} small spans holds the tail slots this layout claims, leaving {} objects{expected}, unlike Go 1.{minor}'s default",
                    o.spans,
                    counts(&o)
                );
                if let Some(r) = refutation(default, &d) {
                    basis += &format!("; {r}");
                }
                pick(other, &o, basis, false)
            }
            (false, false) => {
                // Neither layout fits both kinds of evidence: keep the one spans do not
                // refute (the default if neither is), and say what disagrees.
                let (l, e) = if d.refuted_at.is_some() && o.refuted_at.is_none() {
                    (other, &o)
                } else {
                    (default, &d)
                };
                let mut why = Vec::new();
                if let Some(h) = heap_objects {
                    why.push(format!(
                        "no layout leaves MemStats.HeapObjects ({h}) objects: {} leaves {}, {} leaves {}",
                        short(default),
                        counts(&d),
                        short(other),
                        counts(&o)
                    ));
                }
                why.extend(refutation(default, &d));
                why.extend(refutation(other, &o));
                let basis = format!(
                    "{}; kept the {} layout, so object counts may be off by up to {}",
                    why.join("; "),
                    short(l),
                    d.phantoms
                        .abs_diff(o.phantoms)
                        .max(heap_objects.map_or(0, |h| counts(e).abs_diff(h)))
                );
                pick(l, e, basis, true)
            }
        }
    }

    /// Counts the phantoms this layout predicts and checks each span against it.
    fn evaluate(&self, addr: &[u64], size: &Column64, fl: &[u8], order: &[u32]) -> Evaluation {
        let mut e = Evaluation {
            phantoms: 0,
            spans: 0,
            refuted_at: None,
        };
        self.for_each_span(addr, size, fl, order, |_, page, s, nelems, slots| {
            let n = PAGE / s;
            if nelems >= n {
                return;
            }
            e.spans += 1;
            let mut present = 0;
            let mut next = nelems;
            let mut missing = None;
            for &j in slots.iter().filter(|&&j| j >= nelems) {
                present += 1;
                if missing.is_none() && j != next {
                    missing = Some(next);
                }
                next = j + 1;
            }
            e.phantoms += present;
            if e.refuted_at.is_none() && present < n - nelems {
                e.refuted_at = Some((page, s, missing.unwrap_or(next)));
            }
        });
        e
    }

    /// Calls `f(first position in order, page, slot size, nelems, slot indices)` for each
    /// small span, slot indices ascending.
    fn for_each_span(
        &self,
        addr: &[u64],
        size: &Column64,
        fl: &[u8],
        order: &[u32],
        mut f: impl FnMut(usize, u64, u64, u64, &[u64]),
    ) {
        if self.layout == TailLayout::None {
            return;
        }
        let mut slots = Vec::with_capacity(PAGE as usize / 8);
        let mut k = 0;
        while k < order.len() {
            let d = order[k] as usize;
            let s = size.get(d);
            if s == 0 || s > self.small_max {
                k += 1;
                continue;
            }
            // The run of same-size slots in this page is one span.
            let page = addr[d] & !(PAGE - 1);
            let mut end = k;
            let mut scan = false;
            slots.clear();
            while end < order.len() {
                let e = order[end] as usize;
                if addr[e] & !(PAGE - 1) != page || size.get(e) != s {
                    break;
                }
                scan |= fl[e] & flags::HAS_POINTERS != 0;
                slots.push((addr[e] - page) / s);
                end += 1;
            }
            let mut reserve = 0;
            if self.layout == TailLayout::GreenTea && s >= 16 {
                reserve += INLINE_MARK_BITS;
            }
            if scan {
                reserve += self.bitmap;
            }
            f(k, page, s, (PAGE - reserve) / s, &slots);
            k = end;
        }
    }

    /// `result[k]` tells whether the k-th object in address order is a phantom.
    pub fn phantoms(&self, addr: &[u64], size: &Column64, fl: &[u8], order: &[u32]) -> Vec<bool> {
        let mut out = vec![false; order.len()];
        self.for_each_span(addr, size, fl, order, |k, _, _, nelems, slots| {
            for (flag, &j) in out[k..k + slots.len()].iter_mut().zip(slots) {
                *flag = j >= nelems;
            }
        });
        out
    }
}

fn short(l: TailLayout) -> &'static str {
    match l {
        TailLayout::None => "no-tail",
        TailLayout::PointerBitmap => "pointer-bitmap",
        TailLayout::GreenTea => "Green Tea",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(version: &str) -> Params {
        Params {
            ptr_size: 8,
            go_version: version.into(),
            ..Params::default()
        }
    }

    /// A heap of spans: (page number, slot size, pointerful, slot indices present).
    struct Spans {
        addr: Vec<u64>,
        size: Column64,
        flags: Vec<u8>,
        order: Vec<u32>,
    }

    fn spans(list: &[(u64, u64, bool, Vec<u64>)]) -> Spans {
        let mut h = Spans {
            addr: Vec::new(),
            size: Column64::default(),
            flags: Vec::new(),
            order: Vec::new(),
        };
        for (page, s, scan, slots) in list {
            for j in slots {
                h.addr.push(0xc000_0000_0000 + page * PAGE + j * s);
                h.size.push(*s);
                h.flags.push(if *scan { flags::HAS_POINTERS } else { 0 });
            }
        }
        h.order = (0..h.addr.len() as u32).collect();
        h
    }

    fn choose(version: &str, heap_objects: Option<u64>, h: &Spans) -> (Vec<bool>, SpanTails) {
        let (rule, tails) = PhantomRule::choose(
            &params(version),
            heap_objects,
            &h.addr,
            &h.size,
            &h.flags,
            &h.order,
        );
        (rule.phantoms(&h.addr, &h.size, &h.flags, &h.order), tails)
    }

    fn count(p: &[bool]) -> u64 {
        p.iter().filter(|&&x| x).count() as u64
    }

    // 48-byte pointerful span: 170 slots; bitmap (128 B) leaves 168, Green Tea (256 B) 165.
    // 64-byte pointer-free span: 128 slots; Green Tea leaves 126, the bitmap layout all 128.

    #[test]
    fn pointer_bitmap_layout() {
        let h = spans(&[
            (
                0,
                48,
                true,
                (0..170).filter(|j| j % 3 != 1 || *j >= 168).collect(),
            ),
            (1, 64, false, vec![0, 5, 126, 127]),
        ]);
        // Slot 166 is free: Green Tea claims it is a phantom, so the span refutes it.
        let objects = h.addr.len() as u64 - 2;
        let (p, tails) = choose("go1.22.10", Some(objects), &h);
        assert_eq!(tails.layout, TailLayout::PointerBitmap);
        assert_eq!(count(&p), 2);
        assert!(p[p.len() - 5] && p[p.len() - 6], "slots 168 and 169");
        assert!(!tails.uncertain);
        assert!(
            tails.basis.contains("Green Tea layout is refuted"),
            "{}",
            tails.basis
        );
        // On a Go 1.27 dump (Green Tea by default) the same spans still pick the bitmap.
        let (_, tails) = choose("go1.27.3", Some(objects), &h);
        assert_eq!(tails.layout, TailLayout::PointerBitmap);
        assert!(tails.basis.contains("unlike Go 1.27's default"));
    }

    #[test]
    fn green_tea_layout() {
        let h = spans(&[
            (0, 48, true, vec![0, 1, 2, 165, 166, 167, 168, 169]),
            (1, 64, false, vec![3, 126, 127]),
            (2, 8, false, vec![0, 1023]), // 8-byte slots keep no mark bits
        ]);
        let (p, tails) = choose("go1.27.3", Some(6), &h);
        assert_eq!(tails.layout, TailLayout::GreenTea);
        assert_eq!(count(&p), 7);
        assert_eq!(tails.spans, 2);
        assert!(!tails.uncertain);
        // Without MemStats the spans alone decide: the bitmap layout is not refuted here
        // (it claims fewer slots), so the version's default is kept.
        let (p, tails) = choose("go1.27.3", None, &h);
        assert_eq!((tails.layout, count(&p)), (TailLayout::GreenTea, 7));
    }

    #[test]
    fn no_layout_fits() {
        let h = spans(&[(0, 48, true, vec![0, 1, 168, 169])]);
        // Green Tea claims slots 165..170 and slot 165 is missing; the bitmap layout leaves
        // 2 objects where HeapObjects says 3.
        let (p, tails) = choose("go1.27.3", Some(3), &h);
        assert!(tails.uncertain);
        assert_eq!(tails.layout, TailLayout::PointerBitmap, "the unrefuted one");
        assert_eq!(count(&p), 2);
        assert!(
            tails
                .basis
                .contains("no layout leaves MemStats.HeapObjects (3) objects"),
            "{}",
            tails.basis
        );
        assert!(tails
            .basis
            .contains("refuted by the span at 0xc00000000000"));
    }

    #[test]
    fn before_go_1_22_nothing_is_a_phantom() {
        let h = spans(&[(0, 48, true, vec![168, 169])]);
        let (p, tails) = choose("go1.19.8", Some(2), &h);
        assert_eq!((tails.layout, count(&p)), (TailLayout::None, 0));
    }

    #[test]
    fn large_objects_between_spans_stay() {
        let mut h = spans(&[
            (0, 48, true, vec![0, 168, 169]),
            (3, 64, false, vec![126, 127]),
        ]);
        // A 16 KiB object between the two spans.
        let big = 0xc000_0000_0000 + PAGE;
        h.addr.insert(3, big);
        h.size = {
            let mut c = Column64::default();
            for s in [48, 48, 48, 16384, 64, 64] {
                c.push(s);
            }
            c
        };
        h.flags.insert(3, 0);
        h.order = (0..h.addr.len() as u32).collect();
        let (p, tails) = choose("go1.22.10", Some(4), &h);
        assert_eq!(tails.layout, TailLayout::PointerBitmap);
        assert_eq!(p, vec![false, true, true, false, false, false]);
    }
}
