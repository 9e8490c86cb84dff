//! [`Column64`]: a column of `u64` values stored in 4 bytes each while every value fits.
//!
//! Object sizes and file offsets are `u64` in the format but nearly always below 4 GiB: an
//! object of 4 GiB or more is rare, and a dump of more than 4 GiB does not fit a browser tab
//! anyway. Keeping them in `u32` saves 8 bytes per object in the decode columns and 8 in the
//! object table (see ARCHITECTURE.md, "Memory"). The first value that does not fit widens
//! the column once, so nothing is ever truncated.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column64 {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Column64 {
    fn default() -> Column64 {
        Column64::Narrow(Vec::new())
    }
}

impl Column64 {
    /// Asks the CPU to bring value `i` into cache (see [`prefetch`]).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        match self {
            Column64::Narrow(v) => prefetch(v, i),
            Column64::Wide(v) => prefetch(v, i),
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        match self {
            Column64::Narrow(v) => u64::from(v[i]),
            Column64::Wide(v) => v[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Column64::Narrow(v) => v.len(),
            Column64::Wide(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn push(&mut self, x: u64) {
        match self {
            Column64::Narrow(v) => match u32::try_from(x) {
                Ok(n) => v.push(n),
                Err(_) => {
                    let mut w: Vec<u64> = Vec::with_capacity(v.capacity().max(v.len() + 1));
                    w.extend(v.iter().map(|&n| u64::from(n)));
                    w.push(x);
                    *self = Column64::Wide(w);
                }
            },
            Column64::Wide(v) => v.push(x),
        }
    }

    pub fn reserve_exact(&mut self, additional: usize) {
        match self {
            Column64::Narrow(v) => v.reserve_exact(additional),
            Column64::Wide(v) => v.reserve_exact(additional),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            Column64::Narrow(v) => v.shrink_to_fit(),
            Column64::Wide(v) => v.shrink_to_fit(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let (narrow, wide): (&[u32], &[u64]) = match self {
            Column64::Narrow(v) => (v, &[]),
            Column64::Wide(v) => (&[], v),
        };
        narrow
            .iter()
            .map(|&n| u64::from(n))
            .chain(wide.iter().copied())
    }

    /// The values at `start..end`.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = u64> + '_ {
        let (narrow, wide): (&[u32], &[u64]) = match self {
            Column64::Narrow(v) => (&v[start..end], &[]),
            Column64::Wide(v) => (&[], &v[start..end]),
        };
        narrow
            .iter()
            .map(|&n| u64::from(n))
            .chain(wide.iter().copied())
    }

    /// The values at `order`, in that order (a column is freed as soon as it is gathered).
    pub fn gather(self, order: &[u32]) -> Column64 {
        match self {
            Column64::Narrow(v) => Column64::Narrow(order.iter().map(|&d| v[d as usize]).collect()),
            Column64::Wide(v) => Column64::Wide(order.iter().map(|&d| v[d as usize]).collect()),
        }
    }
}

impl FromIterator<u64> for Column64 {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Column64 {
        let mut c = Column64::default();
        for x in iter {
            c.push(x);
        }
        c
    }
}

/// Asks the CPU to bring `v[i]` into cache, where it can (x86-64); a hint, nothing else.
/// Walks that will read a few scattered elements soon issue the loads together instead of
/// waiting for each miss in turn.
#[inline]
pub fn prefetch<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = v.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of x86-64's baseline, and a prefetch never faults, whatever
        // the address; this one is a valid reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, i);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_until_a_value_does_not_fit() {
        let mut c = Column64::default();
        c.push(7);
        c.push(u64::from(u32::MAX));
        assert!(matches!(c, Column64::Narrow(_)));
        c.push(1 << 32);
        assert!(matches!(c, Column64::Wide(_)));
        c.push(3);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            [7, u64::from(u32::MAX), 1 << 32, 3]
        );
        assert_eq!(c.get(2), 1 << 32);
        assert_eq!(c.len(), 4);
        let g = c.gather(&[3, 2]);
        assert_eq!(g.iter().collect::<Vec<_>>(), [3, 1 << 32]);
    }
}
