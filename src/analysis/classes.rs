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
use crate::heap::{flags, Heap, ObjectId};

/// Index into [`Classes::classes`].
pub type ClassId = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Type(u64),
    Site(String),
    Shape { size: u64, shape: u32, fl: u8 },
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

pub struct Classes {
    pub classes: Vec<Class>,
    /// Class of each object.
    pub of: Vec<ClassId>,
}

impl Classes {
    pub fn compute(a: &Analysis) -> Classes {
        let heap = &a.heap;
        let n = heap.objects.len();
        let mut keys: HashMap<Key, ClassId> = HashMap::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut of = vec![0 as ClassId; n];

        // Which allocation site each shape maps to, when all its sampled objects agree.
        let mut shape_site: HashMap<(u64, u32), Option<String>> = HashMap::new();
        let mut site_of: Vec<Option<String>> = vec![None; n];
        for &(id, _) in &heap.alloc_samples {
            if let Some(site) = naming::alloc_site(heap, id) {
                let k = (
                    heap.objects.size[id as usize],
                    heap.objects.shape[id as usize],
                );
                let e = shape_site.entry(k).or_insert_with(|| Some(site.clone()));
                if e.as_deref() != Some(site.as_str()) {
                    *e = None;
                }
                site_of[id as usize] = Some(site);
            }
        }

        for id in 0..n as ObjectId {
            let i = id as usize;
            let (key, source, name) = if let Some((t, src)) = naming::type_evidence(heap, id) {
                (Key::Type(t), src, naming::type_label(heap, t))
            } else if let Some(site) = site_of[i].take() {
                (Key::Site(site.clone()), NameSource::AllocSite, site)
            } else if let Some(Some(site)) =
                shape_site.get(&(heap.objects.size[i], heap.objects.shape[i]))
            {
                (
                    Key::Site(site.clone()),
                    NameSource::InheritedAllocSite,
                    site.clone(),
                )
            } else {
                let fl = heap.objects.flags[i] & (flags::HAS_POINTERS | flags::TEXT);
                let k = Key::Shape {
                    size: heap.objects.size[i],
                    shape: heap.objects.shape[i],
                    fl,
                };
                (k, NameSource::Shape, shape_name(heap, id))
            };
            let next = classes.len() as ClassId;
            let c = *keys.entry(key).or_insert(next);
            if c == next {
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
            class.shallow += heap.objects.size[i];
            if a.retained[i] > a.retained[class.example as usize] {
                class.example = id;
            }
            of[i] = c;
        }

        // Retained without double counting: walk the dominator tree keeping, per class, how
        // many ancestors on the current path belong to it.
        let children = a.dom.children();
        let root = heap.root_node();
        let mut active = vec![0u32; classes.len()];
        let mut stack: Vec<(u32, bool)> = vec![(root, false)];
        while let Some((v, exit)) = stack.pop() {
            let is_obj = (v as usize) < n;
            if exit {
                if is_obj {
                    active[of[v as usize] as usize] -= 1;
                }
                continue;
            }
            if is_obj {
                let c = of[v as usize] as usize;
                if active[c] == 0 {
                    classes[c].retained += a.retained[v as usize];
                }
                active[c] += 1;
                stack.push((v, true));
            }
            for &w in children.neighbors(v) {
                if w != v && a.dom.idom(w) != NONE {
                    stack.push((w, false));
                }
            }
        }
        Classes { classes, of }
    }

    /// Class ids sorted by retained bytes, largest first.
    pub fn by_retained(&self) -> Vec<ClassId> {
        let mut ids: Vec<ClassId> = (0..self.classes.len() as ClassId).collect();
        ids.sort_by_key(|&c| (std::cmp::Reverse(self.classes[c as usize].retained), c));
        ids
    }
}

fn shape_name(heap: &Heap, id: ObjectId) -> String {
    naming::shape_label(heap, id)
}
