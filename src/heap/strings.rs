//! Interned strings from the dump (function names, files, wait reasons, type names).
//!
//! Bytes from the dump are data, not markup: they are stored as lossy UTF-8 and every
//! front end renders them as text.

use super::hash::FastMap;

/// Index into a [`StringTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct StrId(pub u32);

#[derive(Clone, Debug, Default)]
pub struct StringTable {
    strings: Vec<Box<str>>,
    /// By the bytes as the dump has them: a dump sampled at every allocation names its
    /// functions and files millions of times, and a hit then costs a hash of the bytes, not
    /// a UTF-8 check and a SipHash.
    index: FastMap<Box<[u8]>, u32>,
}

impl StringTable {
    pub fn intern(&mut self, bytes: &[u8]) -> StrId {
        if let Some(&id) = self.index.get(bytes) {
            return StrId(id);
        }
        let id = self.strings.len() as u32;
        self.strings.push(String::from_utf8_lossy(bytes).into());
        self.index.insert(bytes.into(), id);
        StrId(id)
    }

    pub fn get(&self, id: StrId) -> &str {
        &self.strings[id.0 as usize]
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<StrId> {
        self.index.get(s.as_bytes()).map(|&i| StrId(i))
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}
