//! Decode order → address order. Go writes objects span by span, in the order of its span
//! table: a dump's addresses are tens of thousands of ascending runs. A comparison sort
//! merges them level by level, looking up each index's address per comparison; here the
//! runs are ordered by where they start and laid end to end, and only runs whose address
//! ranges overlap (a few percent of them, where consecutive spans happened to ascend) are
//! sorted together. Memory: the order (4 B per object) and 24 B per run.

/// The widest step between consecutive objects of one run. Go's spans of small objects
/// are at most a few tens of KiB; a larger object is a span of its own.
const MAX_STEP: u64 = 64 << 10;

/// An ascending run of decode indices.
#[derive(Clone, Copy)]
struct Run {
    lo: u64,
    hi: u64,
    first: u32,
    len: u32,
}

/// Indices into `addr` in ascending address order; equal addresses keep their order.
pub fn by_address(addr: &[u64]) -> Vec<u32> {
    let n = addr.len();
    if n > u32::MAX as usize {
        // Ids are u32: the builder refuses such dumps before sorting; stay total anyway.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| addr[i as usize]);
        return order;
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut first = 0usize;
    for i in 1..=n {
        // A run also ends at a jump wider than a span of small objects: the next span in
        // the table may lie far above, and a run reaching over the spans between would
        // overlap them all.
        if i == n || addr[i] <= addr[i - 1] || addr[i] - addr[i - 1] > MAX_STEP {
            runs.push(Run {
                lo: addr[first],
                hi: addr[i - 1],
                first: first as u32,
                len: (i - first) as u32,
            });
            first = i;
        }
    }
    runs.sort_unstable_by_key(|r| (r.lo, r.first));

    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut g = 0;
    while g < runs.len() {
        // A group: runs whose ranges overlap one another, transitively.
        let mut end = g + 1;
        let mut hi = runs[g].hi;
        while end < runs.len() && runs[end].lo <= hi {
            hi = hi.max(runs[end].hi);
            end += 1;
        }
        let start = order.len();
        for r in &runs[g..end] {
            order.extend(r.first..r.first + r.len);
        }
        if end - g > 1 {
            // Few runs each: the stable sort merges them in a pass or two. Ties (equal
            // addresses, only in a corrupt dump) fall back to decode order.
            order[start..].sort_by_key(|&i| (addr[i as usize], i));
        }
        g = end;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(addr: &[u64]) -> Vec<u32> {
        let mut o: Vec<u32> = (0..addr.len() as u32).collect();
        o.sort_by_key(|&i| addr[i as usize]);
        o
    }

    #[test]
    fn equals_a_stable_comparison_sort() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Span-like runs in shuffled order (some overlapping), duplicates, random words,
        // one address repeated, empty and single.
        let mut spans = Vec::new();
        for s in 0..500u64 {
            let base = 0xc0_0000_0000 + (rnd() % 4096) * 8192;
            let step = 16 << (s % 4);
            spans.extend((0..rnd() % 64).map(|k| base + k * step));
        }
        let dups: Vec<u64> = (0..1000)
            .map(|_| 0xc0_0000_0000 + (rnd() % 50) * 8)
            .collect();
        let wide: Vec<u64> = (0..1000).map(|_| rnd()).collect();
        let ascending: Vec<u64> = (0..1000).map(|k| 0x1000 + k * 48).collect();
        for addr in [spans, dups, wide, ascending, vec![7; 10], vec![], vec![5]] {
            assert_eq!(by_address(&addr), reference(&addr));
        }
    }
}
