//! Interned strings from the dump (function names, files, wait reasons, type names).
//!
//! Bytes from the dump are data, not markup: they are stored as lossy UTF-8 and every
//! front end renders them as text.

use std::collections::HashMap;

/// Index into a [`StringTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct StrId(pub u32);

#[derive(Clone, Debug, Default)]
pub struct StringTable {
    strings: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl StringTable {
    pub fn intern(&mut self, bytes: &[u8]) -> StrId {
        let s = String::from_utf8_lossy(bytes);
        if let Some(&id) = self.index.get(s.as_ref()) {
            return StrId(id);
        }
        let id = self.strings.len() as u32;
        let boxed: Box<str> = s.into();
        self.strings.push(boxed.clone());
        self.index.insert(boxed, id);
        StrId(id)
    }

    pub fn get(&self, id: StrId) -> &str {
        &self.strings[id.0 as usize]
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<StrId> {
        self.index.get(s).map(|&i| StrId(i))
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}
