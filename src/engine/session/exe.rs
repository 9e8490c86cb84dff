//! The executable that wrote the open dump: its names attached to the heap, the heap typed
//! from its type descriptors, and every index that names objects rebuilt.

use super::{ByteSource, Session};
use crate::analysis::typing;
use crate::engine::class_table::ClassTable;
use crate::exe::Executable;

impl Session {
    /// Names the dump from `exe` (refused when it did not write this dump) and types what
    /// its descriptors reach; the class table, findings, flame graph and row orders are
    /// built again from the new names.
    pub fn attach_exe(
        &mut self,
        name: &str,
        exe: &Executable,
        src: &dyn ByteSource,
    ) -> Result<(), String> {
        self.a
            .heap
            .attach_executable(exe)
            .map_err(|e| format!("{name}: {e}"))?;
        // Everything named by the old names goes first: in wasm, memory freed now is what
        // the typing and the new class table reuse instead of growing linear memory.
        self.classes = ClassTable::default();
        self.leaks = None;
        self.flame = None;
        self.orders.clear();
        let mut chunks = super::load::reread(src);
        typing::type_heap(&mut self.a.heap, exe, &mut chunks);
        self.classes = ClassTable::compute(&self.a);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::exe::Executable;

    fn fixture_file(name: &str) -> Vec<u8> {
        fixture(name)
    }

    #[test]
    fn the_executable_names_the_class_table() {
        let dump = fixture_file("prodlike-go1.27.dump");
        let mut s = open(&dump);
        assert!(!s.classes.rows.iter().any(|r| r.class == "main.entry"));
        let exe = Executable::parse(&fixture_file("prodlike-go1.27.exe")).unwrap();
        s.attach_exe("prodlike-go1.27.exe", &exe, &SliceSource(&dump))
            .unwrap();
        let entry = s.classes.rows.iter().find(|r| r.class == "main.entry");
        assert_eq!(entry.map(|r| r.count), Some(300));
        assert!(s.summary().executable.is_some());
        // Another program's executable is refused and changes nothing.
        let other = fixture_file("prodlike-go1.19.exe");
        let e = s
            .attach_exe(
                "x",
                &Executable::parse(&other).unwrap(),
                &SliceSource(&dump),
            )
            .unwrap_err();
        assert!(e.starts_with("x: "), "{e}");
    }
}
