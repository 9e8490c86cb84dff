//! One object: the inspector's detail, its contents read again from the file (with the
//! words that point at heap objects), and the retainer paths from the roots.

use super::{err, ByteSource, Session};
use crate::analysis::retainers;
use crate::analysis::typing::paths::path_text;
use crate::engine::protocol::*;
use crate::format::read_word;
use crate::heap::{flags, ObjectId};
use crate::report;

/// Bytes of contents sent with an object's details; more on request.
pub const CONTENTS_FIRST: u32 = 4096;
/// Largest contents request answered.
pub const CONTENTS_MAX: u32 = 64 << 10;
/// Objects sent from each end of a longer retainer path (the middle is counted, not sent).
pub const PATH_END: usize = 100;

impl Session {
    /// Bytes `[offset, offset + len)` of an object's slot, with the words that point at
    /// heap objects.
    pub fn contents(
        &self,
        id: ObjectId,
        offset: u64,
        len: u32,
        src: &dyn ByteSource,
    ) -> Result<Contents, String> {
        let h = self.heap();
        let i = id as usize;
        let size = h.objects.size.get(i);
        let ptr = u64::from(h.params.ptr_size.max(1));
        let offset = (offset.min(size) / ptr) * ptr;
        let len = u64::from(len).min(size - offset);
        let bytes = src.read(
            h.objects.file_offset.get(i).saturating_add(offset),
            len as usize,
        )?;
        let mut pointers = Vec::new();
        let flags = h.objects.flags[i];
        if flags & flags::HAS_POINTERS != 0 {
            let mut o = 0u64;
            while let Some(w) = read_word(&bytes, o, h.params.ptr_size, h.params.big_endian) {
                let at = offset + o;
                let header = flags & flags::MALLOC_HEADER != 0 && at == 0;
                if !header && w != 0 && h.objects.find(w).is_some() {
                    pointers.push((at, w));
                }
                o += ptr;
            }
        }
        Ok(Contents {
            addr: h.objects.value_addr(id),
            offset,
            size,
            slot_addr: h.objects.addr[i],
            bytes,
            pointer_size: h.params.ptr_size,
            pointers,
        })
    }

    pub(super) fn object(&mut self, addr: u64, src: &dyn ByteSource) -> Response {
        let id = match self.find(addr) {
            Ok(id) => id,
            Err(e) => return err(e),
        };
        let row = self.obj_row(id);
        let dominator = match self.a.idom(id) {
            Some(d) if d != self.heap().root_node() => Some(self.obj_row(d)),
            _ => None,
        };
        let h = self.heap();
        let i = id as usize;
        let malloc_header_type = h
            .header_types
            .binary_search_by_key(&id, |t| t.0)
            .ok()
            .map(|k| crate::analysis::naming::type_label(h, h.header_types[k].1));
        let roots = report::roots_of(h, id, 50);
        let alloc_stack = h
            .bucket_of(id)
            .map(|b| {
                h.bucket_frames(b)
                    .iter()
                    .map(|f| AllocFrame {
                        // Inlined code is named by the function it is, as in site names.
                        func: match h.inlined_callee(f) {
                            Some(callee) => format!("{callee}, inlined in {}", h.str(f.func)),
                            None => h.str(f.func).to_string(),
                        },
                        file: h.str(f.file).to_string(),
                        line: f.line,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let root = h.root_node();
        let distinct = |v: &[u32]| {
            let mut v: Vec<u32> = v.iter().copied().filter(|&t| t != root).collect();
            v.sort_unstable();
            v.dedup();
            v.len() as u64
        };
        let outgoing = distinct(h.succ.neighbors(id));
        let incoming = distinct(h.pred.neighbors(id));
        let contents = match self.contents(id, 0, CONTENTS_FIRST, src) {
            Ok(c) => c,
            Err(e) => return err(format!("reading the object's contents: {e}")),
        };
        Response::Object(Box::new(ObjectDetail {
            row,
            slot_addr: h.objects.addr[i],
            has_pointers: h.objects.flags[i] & flags::HAS_POINTERS != 0,
            malloc_header_type,
            dominator,
            roots,
            alloc_stack,
            outgoing,
            incoming,
            contents,
        }))
    }

    pub(super) fn retainers(
        &mut self,
        addr: u64,
        max_paths: u32,
        excluded: &[u64],
        src: &dyn ByteSource,
    ) -> Response {
        let id = match self.find(addr) {
            Ok(id) => id,
            Err(e) => return err(e),
        };
        let mut ex = Vec::new();
        for &e in excluded {
            match self.find(e) {
                Ok(x) if x != id => ex.push(x),
                Ok(_) => {}
                Err(e) => return err(e),
            }
        }
        // A path can be a million objects long (a linked list): only its two ends become
        // rows, or the answer alone would need hundreds of MB in both wasm instances.
        let found = retainers::retainer_paths(&self.a, id, max_paths.clamp(1, 100) as usize, &ex);
        // Contents are read only to name the hops by field, with an executable.
        let mut chunks = super::load::reread(src);
        let mut paths = Vec::with_capacity(found.len());
        for p in found {
            let n = p.objects.len();
            let (head, tail) = if n > 2 * PATH_END {
                (PATH_END, PATH_END)
            } else {
                (n, 0)
            };
            let roots = report::roots_of(self.heap(), p.objects[0], 3);
            let root = self.heap().roots_of(p.objects[0]).first().map(|r| r.kind);
            let fields = path_text(
                self.heap(),
                root.as_ref(),
                &p.objects[..head],
                &mut |off, len| chunks.get(off, len),
            )
            .map(|f| if tail > 0 { f + " …" } else { f });
            paths.push(PathView {
                roots,
                objects: (p.objects[..head].iter().chain(&p.objects[n - tail..]))
                    .map(|&o| self.obj_row(o))
                    .collect(),
                elided: (n - head - tail) as u64,
                fields,
            });
        }
        Response::Retainers(RetainersView {
            target: self.obj_row(id),
            roots: report::roots_of(self.heap(), id, 10),
            paths,
            excluded: ex.iter().map(|&x| self.obj_row(x)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn inspector_reads_contents_and_links_pointers() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let top = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let Response::Object(d) =
            s.handle(&Request::Object { addr: top.addr }, &SliceSource(&bytes))
        else {
            panic!()
        };
        assert_eq!(d.row.addr, top.addr);
        assert_eq!(
            d.contents.bytes.len() as u64,
            d.contents.size.min(u64::from(CONTENTS_FIRST))
        );
        assert!(!d.contents.pointers.is_empty());
        for &(_, target) in &d.contents.pointers {
            assert!(s.a.heap.objects.find(target).is_some());
        }
        assert!(d.outgoing > 0);
        assert!(!d.alloc_stack.is_empty(), "basic sets MemProfileRate = 1");
        // The rest of the bytes, on request.
        let Response::Contents(c) = s.handle(
            &Request::Contents {
                addr: top.addr,
                offset: u64::from(CONTENTS_FIRST),
                len: 1 << 20,
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert_eq!(c.offset, u64::from(CONTENTS_FIRST).min(c.size));
        assert!(c.bytes.len() as u32 <= CONTENTS_MAX);
        let out = page(
            &mut s,
            TableKind::Outgoing { addr: top.addr },
            0,
            10,
            SortSpec::new("address", false),
            "",
        );
        assert_eq!(out.total, d.outgoing);
        assert!(matches!(
            s.handle(&Request::Object { addr: 1 }, &SliceSource(&bytes)),
            Response::Error { .. }
        ));
    }

    #[test]
    fn retainers_name_their_roots_and_honour_ignores() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        // A leaf of the big slice: one retainer (the slice), held by a global.
        let slice = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let leaf = objects(page(
            &mut s,
            TableKind::DomChildren {
                parent: Some(slice.addr),
            },
            0,
            1,
            SortSpec::new("retained", true),
            "",
        ))
        .remove(0);
        let Response::Retainers(r) = s.handle(
            &Request::Retainers {
                addr: leaf.addr,
                max_paths: 5,
                excluded: vec![],
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert!(!r.paths.is_empty());
        let p = &r.paths[0];
        assert!(!p.roots.is_empty() && !p.roots[0].label.is_empty());
        assert_eq!(p.objects.last().map(|o| o.addr), Some(leaf.addr));
        let Response::Retainers(r) = s.handle(
            &Request::Retainers {
                addr: leaf.addr,
                max_paths: 5,
                excluded: vec![slice.addr],
            },
            &SliceSource(&bytes),
        ) else {
            panic!()
        };
        assert!(r
            .paths
            .iter()
            .all(|p| p.objects.iter().all(|o| o.addr != slice.addr)));
        assert_eq!(r.excluded.len(), 1);
    }

    #[test]
    fn retainer_paths_read_as_fields_with_the_executable() {
        let dump = fixture("service-go1.27.dump");
        let src = SliceSource(&dump);
        let exe = crate::exe::Executable::parse(&fixture_gz("service-go1.27.exe.gz")).unwrap();
        let mut plain = open(&dump);
        let mut s = open(&dump);
        s.attach_exe("service.exe", &exe, &src).unwrap();
        // A main.item's body, held through a tenant's map of items.
        let body = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            1,
            SortSpec::new("address", false),
            "=[]uint8 backing array",
        ))
        .remove(0);
        let retainers = |s: &mut Session| match s.handle(
            &Request::Retainers {
                addr: body.addr,
                max_paths: 5,
                excluded: vec![],
            },
            &src,
        ) {
            Response::Retainers(r) => r,
            other => panic!("{other:?}"),
        };
        let unnamed = retainers(&mut plain);
        assert!(!unnamed.paths.is_empty());
        assert!(unnamed.paths.iter().all(|p| p.fields.is_none()));
        let named = retainers(&mut s);
        let fields = named.paths[0].fields.as_deref().expect("fields");
        assert!(
            fields.starts_with("main.registry .tenants [map value]") && fields.ends_with(".body"),
            "{fields}"
        );
        // The CLI's `retainers --exe` says the same of its first path.
        let mut r = report::retainers(
            &s.a,
            report::Names::Classes(&s.classes.classes),
            body.id,
            5,
            &[],
        );
        let mut chunks = crate::engine::session::load::reread(&src);
        report::name_paths(&mut r, &s.a, &mut |o, l| chunks.get(o, l));
        assert_eq!(r.paths[0].fields.as_deref(), Some(fields));
    }
}
