//! Names for objects, from the best evidence the dump offers (it stores no object types).
//!
//! In order: a Go 1.22+ malloc header naming a type descriptor; an interface word whose
//! itab or type names the pointee; the allocation site of a sampled object; the object's
//! shape (slot size, pointer-free or not, text-like).

use serde::{Deserialize, Serialize};

use crate::heap::{flags, Heap, ObjectId};

/// Which evidence named an object, best first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    MallocHeader,
    Interface,
    /// Typed by following typed words from the executable's type descriptors.
    ExeType,
    AllocSite,
    /// An unsampled object whose shape only ever came from one allocation site.
    InheritedAllocSite,
    #[default]
    Shape,
}

impl NameSource {
    /// Its serialized name: "malloc_header", "alloc_site", …
    pub fn key(self) -> &'static str {
        match self {
            NameSource::MallocHeader => "malloc_header",
            NameSource::Interface => "interface",
            NameSource::ExeType => "exe_type",
            NameSource::AllocSite => "alloc_site",
            NameSource::InheritedAllocSite => "inherited_alloc_site",
            NameSource::Shape => "shape",
        }
    }

    /// For people: "malloc header", "alloc site", …
    pub fn label(self) -> &'static str {
        match self {
            NameSource::MallocHeader => "malloc header",
            NameSource::Interface => "interface",
            NameSource::ExeType => "executable's types",
            NameSource::AllocSite => "alloc site",
            NameSource::InheritedAllocSite => "inherited alloc site",
            NameSource::Shape => "shape",
        }
    }
}

/// The type descriptor address that names the object, with its source.
pub fn type_evidence(heap: &Heap, id: ObjectId) -> Option<(u64, NameSource)> {
    if let Ok(i) = heap.header_types.binary_search_by_key(&id, |h| h.0) {
        return Some((heap.header_types[i].1, NameSource::MallocHeader));
    }
    let walked = heap.object_type(id);
    let i = heap.iface_types.partition_point(|h| h.0 < id);
    match heap.iface_types.get(i) {
        // With the executable, an interface's `*T` names the object a `T`.
        Some(&(o, t)) if o == id => Some((
            walked.unwrap_or(heap.iface_type_addrs[t as usize]),
            NameSource::Interface,
        )),
        _ => walked.map(|t| (t, NameSource::ExeType)),
    }
}

/// A type name for a descriptor address: the type record's name, or `type@0x…`.
/// The runtime writes an unnamed type with methods (usually a pointer, `*fmt.pp`) as its
/// package path and a dot, `fmt.`: that is labelled as what it is, not left truncated.
pub fn type_label(heap: &Heap, addr: u64) -> String {
    if let Some(n) = heap.exe_type_name(addr) {
        return n.to_string();
    }
    match heap.type_info(addr) {
        Some(t) => {
            let name = heap.str(t.name);
            match name.strip_suffix('.') {
                Some(pkg) if !pkg.is_empty() => {
                    format!("{pkg}.(unnamed {} B type)", t.size)
                }
                _ => name.to_string(),
            }
        }
        None => format!("type@0x{addr:x}"),
    }
}

/// The first frame of an allocation stack outside the runtime, as `func (file.go:line)`.
pub fn alloc_site(heap: &Heap, id: ObjectId) -> Option<String> {
    bucket_site(heap, heap.bucket_of(id)?)
}

/// The allocation site of a memprof bucket (see [`alloc_site`]).
pub fn bucket_site(heap: &Heap, b: &crate::heap::Bucket) -> Option<String> {
    let frames = heap.bucket_frames(b);
    let f = frames
        .iter()
        .find(|f| !is_runtime_func(heap.str(f.func)))
        .or_else(|| frames.first())?;
    Some(frame_label(heap, f))
}

/// A memprof frame as `func (file.go:line)`. The runtime names inlined code after the
/// function it was inlined into, with the inlined function's file:line; with the
/// executable's inline tables that reads `callee (file.go:line), inlined in func`.
pub fn frame_label(heap: &Heap, f: &crate::heap::BucketFrame) -> String {
    let file = heap.str(f.file);
    let base = file.rsplit('/').next().unwrap_or(file);
    let func = heap.str(f.func);
    match heap.inlined_callee(f) {
        Some(callee) => format!("{callee} ({base}:{}), inlined in {func}", f.line),
        None => format!("{func} ({base}:{})", f.line),
    }
}

/// Runtime and allocation-plumbing frames that say nothing about who allocated.
pub fn is_runtime_func(name: &str) -> bool {
    name.starts_with("runtime.")
        || name.starts_with("internal/runtime")
        || name.starts_with("reflect.unsafe_New")
}

/// A shape label such as `noscan 64 B`, `text 32 B` or `64 B with pointers`.
pub fn shape_label(heap: &Heap, id: ObjectId) -> String {
    let i = id as usize;
    let size = heap.objects.size.get(i);
    let f = heap.objects.flags[i];
    if f & flags::HAS_POINTERS != 0 {
        format!("{size} B with pointers")
    } else if f & flags::TEXT != 0 {
        format!("text {size} B")
    } else {
        format!("noscan {size} B")
    }
}

/// The best name for an object and where it came from.
pub fn object_name(heap: &Heap, id: ObjectId) -> (String, NameSource) {
    if let Some((t, src)) = type_evidence(heap, id) {
        return (type_label(heap, t), src);
    }
    if let Some(site) = alloc_site(heap, id) {
        return (
            format!("{} · {}", shape_label(heap, id), site),
            NameSource::AllocSite,
        );
    }
    (shape_label(heap, id), NameSource::Shape)
}

/// Why an object has no allocation stack, and how to get one, given how many allocation
/// samples the whole dump holds.
pub fn unsampled_advice(dump_samples: u64) -> &'static str {
    if dump_samples == 0 {
        "Not sampled: this dump holds no allocation samples at all. Either the program set \
         runtime.MemProfileRate = 0, or it never references runtime.MemProfile (no runtime/pprof \
         or net/http/pprof import), so the linker set runtime.disableMemoryProfiling and sampling \
         was off from the start. Set runtime.MemProfileRate = 1 first thing in main to record \
         every allocation."
    } else {
        "Not sampled: at Go's default rate one allocation per 512 KiB is. Set \
         runtime.MemProfileRate = 1 first thing in main to record every allocation."
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unsampled_advice_names_the_linker_switch_only_without_samples() {
        assert!(super::unsampled_advice(0).contains("runtime.disableMemoryProfiling"));
        assert!(!super::unsampled_advice(40).contains("disableMemoryProfiling"));
        assert!(super::unsampled_advice(40).contains("512 KiB"));
    }
}
