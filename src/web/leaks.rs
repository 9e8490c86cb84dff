//! The core's leak analyses as the web app's rows: the class table (`analysis::classes`,
//! computed with the session, since every object row is named by its class) and the
//! goroutine groups and findings (`analysis::goroutines`, `analysis::leaks`, computed the
//! first time a view needs them).

use crate::analysis::classes::Classes;
use crate::analysis::goroutines;
use crate::analysis::leaks::{self, Findings};
use crate::analysis::Analysis;
use crate::report;
use crate::web::protocol::{ClassRow, FindingEntry, GoroutineGroupRow};

/// A serde enum's name (`NameSource::AllocSite` → `alloc_site`).
pub fn source_name<T: serde::Serialize>(source: &T) -> String {
    serde_json::to_value(source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub struct ClassTable {
    pub classes: Classes,
    /// One row per class, indexed like `classes.classes`.
    pub rows: Vec<ClassRow>,
    /// Rank of each class in name order.
    pub name_rank: Vec<u32>,
}

pub struct Leaks {
    pub groups: Vec<GoroutineGroupRow>,
    pub findings: Vec<FindingEntry>,
}

fn finding_rows(f: &Findings) -> Vec<FindingEntry> {
    f.findings.iter().map(FindingEntry::from).collect()
}

pub fn class_rows(a: &Analysis, classes: &Classes) -> Vec<ClassRow> {
    let reachable = a.reachable_bytes().max(1) as f64;
    classes
        .classes
        .iter()
        .map(|k| ClassRow {
            name: k.name.clone(),
            source: source_name(&k.source),
            count: k.count,
            shallow: k.shallow,
            retained: k.retained,
            share: k.retained as f64 / reachable,
            example: report::hex(a.heap.objects.value_addr(k.example)),
        })
        .collect()
}

impl ClassTable {
    pub fn compute(a: &Analysis) -> ClassTable {
        let classes = Classes::compute(a);
        let rows = class_rows(a, &classes);
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by(|&x, &y| rows[x as usize].name.cmp(&rows[y as usize].name));
        let mut name_rank = vec![0u32; rows.len()];
        for (rank, &c) in order.iter().enumerate() {
            name_rank[c as usize] = rank as u32;
        }
        ClassTable {
            classes,
            rows,
            name_rank,
        }
    }

    /// The class row of an object.
    pub fn of(&self, id: u32) -> &ClassRow {
        &self.rows[self.classes.of[id as usize] as usize]
    }

    /// Classes whose name matches a filter: `=name` exactly, otherwise a case-insensitive
    /// substring.
    pub fn matching(&self, filter: &str) -> Vec<bool> {
        if let Some(exact) = filter.strip_prefix('=') {
            return self.rows.iter().map(|r| r.name == exact).collect();
        }
        let needle = filter.to_lowercase();
        self.rows
            .iter()
            .map(|r| r.name.to_lowercase().contains(&needle))
            .collect()
    }
}

impl Leaks {
    pub fn compute(a: &Analysis, classes: &Classes) -> Leaks {
        let groups = goroutines::groups(a);
        let findings = leaks::findings(a, classes, &groups);
        let groups = report::goroutine_groups(&groups)
            .into_iter()
            .map(|g| GoroutineGroupRow {
                count: g.count,
                wait_reason: g.wait_reason,
                top_function: g.top_function,
                created_by: g.created_by,
                stack: g.stack,
                ids: g.goroutine_ids,
                system: g.system,
                stack_retained_bytes: g.stack_retained_bytes,
                stack_retained_objects: g.stack_retained_objects,
                max_wait_since: g.max_wait_since,
                looks_leaked: g.looks_leaked,
            })
            .collect();
        Leaks {
            groups,
            findings: finding_rows(&findings),
        }
    }
}
