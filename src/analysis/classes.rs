//! Classes of objects: a type table for a format that stores no types.
//!
//! Each object gets one class from the best evidence available, and the class records which
//! layer named it: a Go 1.22+ malloc header or an interface word (an exact type), the
//! allocation site of a sampled object, the site inherited by unsampled objects of the same
//! shape when all sampled objects of that shape share one site, and finally the shape itself
//! (slot size, pointer layout, text-like contents).

use std::collections::HashMap;

use super::dominators::NONE;
use super::naming::{self, NameSource};
use super::Analysis;
use crate::heap::hash::FastMap;
use crate::heap::{flags, Heap, ObjectId};

/// Index into [`Classes::classes`].
pub type ClassId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Type(u64),
    /// An allocation site (index into the site names).
    Site(u32),
    Shape {
        size: u64,
        shape: u32,
        fl: u8,
    },
}

#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    pub source: NameSource,
    pub count: u64,
    pub shallow: u64,
    /// Retained bytes of the class's objects, not counting an object dominated by another
    /// object of the same class (so nested members are not counted twice).
    pub retained: u64,
    /// An example object (the one that retains the most).
    pub example: ObjectId,
}

#[derive(Default)]
pub struct Classes {
    pub classes: Vec<Class>,
    /// Class of each object.
    pub of: Vec<ClassId>,
}

/// Makes every class name unique, so the table, the flame graph and the findings never show
/// two rows with one label: shapes of one size whose pointers lie in different words
/// become "48 B with pointers (layout 1 of 2)", by bytes; type records that repeat a name
/// get their descriptor address.
fn disambiguate(classes: &mut [Class], keys: &[Key]) {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in classes.iter().enumerate() {
        by_name.entry(c.name.as_str()).or_default().push(i);
    }
    let mut renames: Vec<(usize, String)> = Vec::new();
    for (name, mut ids) in by_name.into_iter().filter(|(_, v)| v.len() > 1) {
        ids.sort_by_key(|&i| (std::cmp::Reverse(classes[i].shallow), i));
        let total = ids.len();
        for (k, &i) in ids.iter().enumerate() {
            renames.push((
                i,
                match keys[i] {
                    Key::Type(t) => format!("{name} @0x{t:x}"),
                    _ => format!("{name} (layout {} of {total})", k + 1),
                },
            ));
        }
    }
    for (i, name) in renames {
        classes[i].name = name;
    }
}

/// Objects grouped into named classes, with counts and shallow sizes: all of [`Classes`]
/// but the retained sizes and the examples, which need the dominator tree. It reads the
/// heap only, so natively it is computed beside the dominator tree
/// ([`Analysis::with_progress_beside`]).
pub struct Grouping {
    classes: Vec<Class>,
    of: Vec<ClassId>,
}

impl Classes {
    pub fn compute(a: &Analysis) -> Classes {
        Self::group(&a.heap).finish(a)
    }

    pub fn group(heap: &Heap) -> Grouping {
        let n = heap.objects.len();
        let mut keys: FastMap<Key, ClassId> = FastMap::default();
        let mut classes: Vec<Class> = Vec::new();
        let mut of = vec![0 as ClassId; n];
        let mut class_keys: Vec<Key> = Vec::new();

        // Allocation sites are named per bucket (few), never per object.
        let mut site_names: Vec<String> = Vec::new();
        let mut site_ids: HashMap<String, u32> = HashMap::new();
        let bucket_site: Vec<Option<u32>> = (0..heap.buckets.len())
            .map(|b| {
                let name = naming::bucket_site(heap, &heap.buckets[b])?;
                let next = site_names.len() as u32;
                let id = *site_ids.entry(name.clone()).or_insert(next);
                if id == next {
                    site_names.push(name);
                }
                Some(id)
            })
            .collect();
        let site_of = |b: u32| -> Option<u32> { bucket_site.get(b as usize).copied().flatten() };

        // Which site each shape maps to, when all its sampled objects agree (None: ambiguous).
        let mut shape_site: FastMap<(u64, u32), Option<u32>> = FastMap::default();
        for (id, b) in heap.alloc_samples.iter() {
            if let Some(site) = site_of(b) {
                let k = (
                    heap.objects.size.get(id as usize),
                    heap.objects.shape[id as usize],
                );
                let e = shape_site.entry(k).or_insert(Some(site));
                if *e != Some(site) {
                    *e = None;
                }
            }
        }

        // Alloc samples and type hints are sorted by object: walk them alongside the objects.
        let (headers, ifaces) = (&heap.header_types, &heap.iface_types);

        let mut samples = heap.alloc_samples.iter().peekable();
        let (mut next_header, mut next_iface) = (0usize, 0usize);
        let mut last: Option<(Key, ClassId)> = None;
        for id in 0..n as ObjectId {
            let i = id as usize;
            while samples.next_if(|s| s.0 < id).is_some() {}
            while next_header < headers.len() && headers[next_header].0 < id {
                next_header += 1;
            }
            while next_iface < ifaces.len() && ifaces[next_iface].0 < id {
                next_iface += 1;
            }
            let walked = heap.object_type(id);
            let typed = match (headers.get(next_header), ifaces.get(next_iface)) {
                (Some(&(o, t)), _) if o == id => Some((t, NameSource::MallocHeader)),
                // With the executable, an interface's `*T` names the object a `T`.
                (_, Some(&(o, t))) if o == id => Some((
                    walked.unwrap_or(heap.iface_type_addrs[t as usize]),
                    NameSource::Interface,
                )),
                _ => walked.map(|t| (t, NameSource::ExeType)),
            };
            let sampled = samples
                .peek()
                .filter(|s| s.0 == id)
                .and_then(|&(_, b)| site_of(b));
            let (key, source) = if let Some((t, src)) = typed {
                (Key::Type(t), src)
            } else if let Some(site) = sampled {
                (Key::Site(site), NameSource::AllocSite)
            } else if let Some(Some(site)) =
                shape_site.get(&(heap.objects.size.get(i), heap.objects.shape[i]))
            {
                (Key::Site(*site), NameSource::InheritedAllocSite)
            } else {
                let fl = heap.objects.flags[i] & (flags::HAS_POINTERS | flags::TEXT);
                (
                    Key::Shape {
                        size: heap.objects.size.get(i),
                        shape: heap.objects.shape[i],
                        fl,
                    },
                    NameSource::Shape,
                )
            };
            // Neighbours in a span usually share a class: skip the map lookup then.
            let next = classes.len() as ClassId;
            let c = match last {
                Some((k, c)) if k == key => c,
                _ => *keys.entry(key).or_insert(next),
            };
            last = Some((key, c));
            if c == next {
                let name = match key {
                    Key::Type(t) => naming::type_label(heap, t),
                    Key::Site(s) => site_names[s as usize].clone(),
                    Key::Shape { .. } => naming::shape_label(heap, id),
                };
                // A site reached only by inheritance is still named by the site.
                class_keys.push(key);
                classes.push(Class {
                    name,
                    source,
                    count: 0,
                    shallow: 0,
                    retained: 0,
                    example: id,
                });
            }
            let class = &mut classes[c as usize];
            class.count += 1;
            class.shallow += heap.objects.size.get(i);
            of[i] = c;
        }

        disambiguate(&mut classes, &class_keys);
        Grouping { classes, of }
    }
}

impl Grouping {
    /// The retained sizes and examples, from the analyses of the heap that was grouped.
    pub fn finish(self, a: &Analysis) -> Classes {
        let Grouping { mut classes, of } = self;
        let heap = &a.heap;
        let n = heap.objects.len();
        if of.len() != n {
            return Classes::compute(a); // grouped another heap: start again
        }
        // Each class's example is its first object that retains the most.
        for (i, &c) in of.iter().enumerate() {
            let class = &mut classes[c as usize];
            if a.retained[i] > a.retained[class.example as usize] {
                class.example = i as ObjectId;
            }
        }

        // Retained without double counting: walk the dominator tree keeping, per class, how
        // many ancestors on the current path belong to it. The stack holds the path (node,
        // next child), so it grows with the tree's depth, not its breadth.
        let children = a.dom_children();
        let root = heap.root_node();
        let mut active = vec![0u32; classes.len()];
        let mut path: Vec<(u32, u32)> = vec![(root, 0)];
        while let Some(top) = path.last_mut() {
            let (v, next) = *top;
            let kids = children.neighbors(v);
            if let Some(&w) = kids.get(next as usize) {
                top.1 += 1;
                if w == v || a.dom.idom(w) == NONE {
                    continue;
                }
                if (w as usize) < n {
                    let c = of[w as usize] as usize;
                    if active[c] == 0 {
                        classes[c].retained += a.retained[w as usize];
                    }
                    active[c] += 1;
                }
                path.push((w, 0));
            } else {
                path.pop();
                if (v as usize) < n {
                    active[of[v as usize] as usize] -= 1;
                }
            }
        }
        Classes { classes, of }
    }
}

impl Classes {
    /// Class ids sorted by retained bytes, largest first.
    pub fn by_retained(&self) -> Vec<ClassId> {
        let mut ids: Vec<ClassId> = (0..self.classes.len() as ClassId).collect();
        ids.sort_by_key(|&c| (std::cmp::Reverse(self.classes[c as usize].retained), c));
        ids
    }
}
