//! A fast hasher for maps keyed by addresses and small ids. The standard SipHash defends
//! against hash flooding, which does not apply to keys that are addresses inside one dump
//! the user opened; it costs more than the lookup it serves in per-object loops.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate mixing of each written word (the scheme of rustc's FxHasher).
#[derive(Clone, Copy, Default)]
pub struct FastHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        le_words(bytes, |w| self.write_u64(w));
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Calls `f` with each 8-byte little-endian word of `bytes`, the last one zero-padded.
/// Whole words are loaded directly: copying each chunk into a zeroed buffer compiled to a
/// `memcpy` call per word, a quarter of the memprof section's decode (frame keys are ~70 B).
#[inline]
pub fn le_words(bytes: &[u8], mut f: impl FnMut(u64)) {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        f(u64::from_le_bytes(a));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut w = [0u8; 8];
        w[..tail.len()].copy_from_slice(tail);
        f(u64::from_le_bytes(w));
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    #[test]
    fn le_words_gives_whole_words_then_the_zero_padded_tail() {
        let mut words = Vec::new();
        super::le_words(b"abcdefgh\x01\x02\x03", |w| words.push(w));
        assert_eq!(words, [u64::from_le_bytes(*b"abcdefgh"), 0x0003_0201]);
        words.clear();
        super::le_words(b"", |w| words.push(w));
        assert!(words.is_empty());
    }
}
