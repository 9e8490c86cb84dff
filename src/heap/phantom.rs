//! Go 1.22+ "phantom" object records: span-tail metadata dumped as if it were objects.
//!
//! The runtime's dumper visits `span bytes / elemsize` slots per span but marks as free
//! only the first `nelems`. Since Go 1.22, small-object spans reserve their tail: spans of
//! pointerful objects of at most 512 bytes (128 on 32-bit) keep their pointer bitmap
//! there (`span bytes / ptrsize / 8`), and with the Green Tea collector spans of 16..=512
//! byte objects also keep 128 bytes of inline mark bits. Slots at index ≥ `nelems` are the
//! phantoms. All such spans are one 8 KiB page, so a slot's span is its page.
//!
//! Whether the dumped binary used Green Tea cannot be read from the dump, so both rules are
//! tried and the one whose object count equals memstats `HeapObjects` wins.

use super::model::{flags, Params};
use super::Column64;

const PAGE: u64 = 8192;
const INLINE_MARK_BITS: u64 = 128;

pub(crate) struct PhantomRule {
    /// None: this dump has no phantoms (before Go 1.22).
    green_tea: Option<bool>,
    small_max: u64,
    bitmap: u64,
    pub note: Option<String>,
}

impl PhantomRule {
    fn new(params: &Params, green_tea: Option<bool>) -> PhantomRule {
        let ps = u64::from(params.ptr_size.max(4));
        PhantomRule {
            green_tea,
            small_max: ps * ps * 8,
            bitmap: PAGE / ps / 8,
            note: None,
        }
    }

    /// Picks the rule for this dump; `order` lists decode indices in address order.
    pub fn choose(
        params: &Params,
        heap_objects: Option<u64>,
        addr: &[u64],
        size: &Column64,
        fl: &[u8],
        order: &[u32],
    ) -> PhantomRule {
        let Some((1, minor)) = params.go_minor() else {
            return PhantomRule::new(params, None);
        };
        if minor < 22 {
            return PhantomRule::new(params, None);
        }
        let default_gt = minor >= 26;
        let Some(expected) = heap_objects else {
            return PhantomRule::new(params, Some(default_gt));
        };
        let count = |gt: bool| {
            let r = PhantomRule::new(params, Some(gt));
            let p = r.phantoms(addr, size, fl, order);
            order.len() as u64 - p.iter().filter(|&&x| x).count() as u64
        };
        for gt in [default_gt, !default_gt] {
            if count(gt) == expected {
                return PhantomRule::new(params, Some(gt));
            }
        }
        let mut r = PhantomRule::new(params, Some(default_gt));
        r.note = Some(format!(
            "after removing span-tail records the object count ({}) differs from MemStats.HeapObjects ({expected})",
            count(default_gt)
        ));
        r
    }

    /// `result[k]` tells whether the k-th object in address order is a phantom.
    pub fn phantoms(&self, addr: &[u64], size: &Column64, fl: &[u8], order: &[u32]) -> Vec<bool> {
        let mut out = vec![false; order.len()];
        let Some(gt) = self.green_tea else {
            return out;
        };
        let mut k = 0;
        while k < order.len() {
            let d = order[k] as usize;
            let s = size.get(d);
            if s == 0 || s > self.small_max {
                k += 1;
                continue;
            }
            // Group the run of same-size slots in this page: that is one span.
            let page = addr[d] & !(PAGE - 1);
            let mut end = k;
            let mut scan = false;
            while end < order.len() {
                let e = order[end] as usize;
                if addr[e] & !(PAGE - 1) != page || size.get(e) != s {
                    break;
                }
                scan |= fl[e] & flags::HAS_POINTERS != 0;
                end += 1;
            }
            let mut reserve = 0;
            if gt && s >= 16 {
                reserve += INLINE_MARK_BITS;
            }
            if scan {
                reserve += self.bitmap;
            }
            let nelems = (PAGE - reserve) / s;
            for (slot, flag) in order[k..end].iter().zip(&mut out[k..end]) {
                let j = (addr[*slot as usize] - page) / s;
                *flag = j >= nelems;
            }
            k = end;
        }
        out
    }
}
