//! The core's classes and leak analyses as the web app's rows: the class table
//! (`analysis::classes`, computed with the session, since every object row is named by its
//! class) and the goroutine groups and findings (`analysis::goroutines`, `analysis::leaks`,
//! computed the first time a view needs them).

use crate::analysis::classes::Classes;
use crate::analysis::goroutines;
use crate::analysis::leaks::{self, Findings};
use crate::analysis::Analysis;
use crate::engine::protocol::{ClassRow, FindingEntry, GroupRow};
use crate::report;

#[derive(Default)]
pub struct ClassTable {
    pub classes: Classes,
    /// One row per class, indexed like `classes.classes`.
    pub rows: Vec<ClassRow>,
    /// Rank of each class in name order.
    pub name_rank: Vec<u32>,
}

pub struct Leaks {
    pub groups: Vec<GroupRow>,
    pub findings: Vec<FindingEntry>,
    /// The core's findings and goroutine groups until the findings that read object
    /// contents are added ([`Leaks::with_contents`]), which reads the file.
    unnamed: Option<(Findings, Vec<goroutines::Group>)>,
}

fn finding_rows(f: &Findings) -> Vec<FindingEntry> {
    f.findings.iter().map(FindingEntry::from).collect()
}

/// One row per class, indexed like `classes.classes`.
pub fn class_rows(a: &Analysis, classes: &Classes) -> Vec<ClassRow> {
    (0..classes.classes.len() as u32)
        .map(|id| report::class_row(a, classes, id))
        .collect()
}

impl ClassTable {
    pub fn compute(a: &Analysis) -> ClassTable {
        let classes = Classes::compute(a);
        let rows = class_rows(a, &classes);
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by(|&x, &y| rows[x as usize].class.cmp(&rows[y as usize].class));
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
            return self.rows.iter().map(|r| r.class == exact).collect();
        }
        let needle = filter.to_lowercase();
        self.rows
            .iter()
            .map(|r| r.class.to_lowercase().contains(&needle))
            .collect()
    }
}

impl Leaks {
    pub fn compute(a: &Analysis, classes: &Classes) -> Leaks {
        let core_groups = goroutines::groups(a);
        let findings = leaks::findings(a, classes, &core_groups);
        let groups = report::goroutine_groups(&core_groups);
        Leaks {
            groups,
            findings: finding_rows(&findings),
            unnamed: a.heap.exe.is_some().then_some((findings, core_groups)),
        }
    }

    /// Once, when an executable typed the heap: adds the findings that read object
    /// contents (waste, goroutine leaks proved by reachability) and names every finding's
    /// path by field (`leaks::with_contents`); `read` reads the dump's file.
    pub fn with_contents(
        &mut self,
        a: &Analysis,
        classes: &Classes,
        read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
    ) {
        let Some((mut f, groups)) = self.unnamed.take() else {
            return;
        };
        leaks::with_contents(&mut f, a, classes, &groups, None, read);
        self.findings = finding_rows(&f);
    }
}
