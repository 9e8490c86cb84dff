//! A shareable report: one struct, written as self-contained HTML ([`super::html`]) or as
//! JSON, so the two cannot say different things. Redacted by default ([`super::redact`]).
//!
//! For one dump: its summary and MemStats, the class table, the leak findings with their
//! retainer paths and the goroutine groups. For several dumps of one process, those of the
//! newest plus the growth table (`analysis::diff` of the first, middle and newest dump) and
//! the timeline of every dump.

use serde::{Deserialize, Serialize};

use super::redact::{Evidence, Redactor, ReportKey};
use super::timeline::{Point, Timeline, TimelineBuilder};
use crate::analysis::classes::Classes;
use crate::analysis::{diff, goroutines, leaks, Analysis};

/// Version of the report's JSON layout.
/// 2: the summary, class and goroutine-group rows are the CLI's (`report::Summary`,
/// `ClassRow`, `GroupRow`).
pub const FORMAT: &str = "dumpscope-report/2";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub format: String,
    pub generator: String,
    pub redacted: bool,
    /// What redaction removed, one sentence per rule (empty when not redacted).
    pub redaction: Vec<String>,
    /// Every dump, in time order.
    pub dumps: Vec<Point>,
    /// The dump (index into `dumps`, the newest) that the summary, classes, findings and
    /// goroutine groups describe.
    pub focus: usize,
    pub summary: super::Summary,
    /// The classes that retain the most (by retained bytes), of `total_classes`.
    pub classes: Vec<super::ClassRow>,
    pub total_classes: u64,
    pub reachable_bytes: u64,
    pub findings: Vec<FindingEntry>,
    pub goroutine_groups: Vec<super::GroupRow>,
    pub total_goroutine_groups: u64,
    pub growth: Option<Growth>,
    pub timeline: Option<Timeline>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ShareEntry {
    pub name: String,
    pub objects: u64,
    pub bytes: u64,
}

impl From<&leaks::Share> for ShareEntry {
    fn from(s: &leaks::Share) -> ShareEntry {
        ShareEntry {
            name: s.name.clone(),
            objects: s.objects,
            bytes: s.bytes,
        }
    }
}

/// `analysis::leaks::Finding` (in reports and in the web app's leak suspects).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FindingEntry {
    pub kind: String,
    pub title: String,
    pub retained_bytes: u64,
    pub share: f64,
    pub objects: u64,
    pub goroutines: u64,
    pub classes: Vec<ShareEntry>,
    pub alloc_sites: Vec<ShareEntry>,
    /// The root's label, then one line per object from the root down.
    pub retainer_path: Vec<String>,
    pub object: Option<String>,
    pub wait_reason: Option<String>,
    pub function: Option<String>,
    pub created_by: Option<String>,
    pub stack: Vec<String>,
    /// The retainer path as Go fields (`main.registry .tenants [map value] .items`), when
    /// an executable typed the heap (`leaks::name_paths`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
}

impl From<&leaks::Finding> for FindingEntry {
    fn from(f: &leaks::Finding) -> FindingEntry {
        let shares = |v: &[leaks::Share]| v.iter().map(ShareEntry::from).collect();
        FindingEntry {
            kind: f.kind.to_string(),
            title: f.title.clone(),
            retained_bytes: f.retained_bytes,
            share: f.share,
            objects: f.objects,
            goroutines: f.goroutines,
            classes: shares(&f.evidence.classes),
            alloc_sites: shares(&f.evidence.alloc_sites),
            retainer_path: f.evidence.retainer_path.clone(),
            object: f.evidence.object.clone(),
            wait_reason: f.evidence.wait_reason.clone(),
            function: f.evidence.function.clone(),
            created_by: f.evidence.created_by.clone(),
            stack: f.evidence.stack.clone(),
            field_path: f.evidence.field_path.clone(),
        }
    }
}

/// `analysis::diff` of two or three of the dumps (in reports and the web app's compare).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Growth {
    /// The dumps compared (indices into `Report::dumps`, or into the compare view's list),
    /// in time order.
    pub dumps: Vec<usize>,
    /// Ranked by growth in bytes from the first to the last compared dump.
    pub classes: Vec<GrowthEntry>,
    pub total_classes: u64,
    /// Objects new in the second dump still alive in the third (with two: new in the second).
    pub candidate_objects: u64,
    pub candidate_bytes: u64,
    pub candidates: Vec<CandidateEntry>,
    /// Reasons to doubt the comparison (dumps of different programs).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Growth {
    /// A diff's rows: the `rows` classes that grew the most and the leak candidates.
    pub fn from_diff(dumps: Vec<usize>, d: diff::Diff, rows: usize) -> Growth {
        Growth {
            dumps,
            total_classes: d.classes.len() as u64,
            classes: d
                .classes
                .into_iter()
                .take(rows)
                .map(GrowthEntry::from)
                .collect(),
            candidate_objects: d.leak_candidates.objects,
            candidate_bytes: d.leak_candidates.bytes,
            candidates: d
                .leak_candidates
                .classes
                .into_iter()
                .map(CandidateEntry::from)
                .collect(),
            warnings: d.warnings,
        }
    }
}

/// A class's objects and bytes in each compared dump (reports and the web app's compare).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GrowthEntry {
    pub class: String,
    pub counts: Vec<u64>,
    pub bytes: Vec<u64>,
}

impl From<diff::ClassGrowth> for GrowthEntry {
    fn from(c: diff::ClassGrowth) -> GrowthEntry {
        GrowthEntry {
            class: c.class,
            counts: c.counts,
            bytes: c.bytes,
        }
    }
}

/// Leak candidates of a diff, by class.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CandidateEntry {
    pub class: String,
    pub objects: u64,
    pub bytes: u64,
    pub alloc_site: Option<String>,
    /// An example candidate (address in the last dump) and its retainer path.
    pub example: String,
    pub retainer_path: Vec<String>,
}

impl From<diff::CandidateClass> for CandidateEntry {
    fn from(c: diff::CandidateClass) -> CandidateEntry {
        CandidateEntry {
            class: c.class,
            objects: c.objects,
            bytes: c.bytes,
            alloc_site: c.alloc_site,
            example: c.example,
            retainer_path: c.retainer_path,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Redact with this key; None writes everything (addresses, paths).
    pub key: Option<ReportKey>,
    /// Rows of the class table.
    pub classes: usize,
    /// Rows of the goroutine, growth and timeline tables.
    pub rows: usize,
    /// `dumpscope 0.1.0`, or what built the report.
    pub generator: String,
}

impl Options {
    pub fn new(key: Option<ReportKey>) -> Options {
        Options {
            key,
            classes: 100,
            rows: 50,
            generator: format!("dumpscope {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// What the report needs from every dump, gathered as each is read (an analysis can be
/// dropped after [`Gather::add`]).
#[derive(Default)]
pub struct Gather {
    pub timeline: TimelineBuilder,
    pub evidence: Evidence,
}

impl Gather {
    /// Adds a dump; returns its id for [`Input::id`].
    pub fn add(&mut self, name: &str, a: &Analysis, classes: &Classes) -> usize {
        self.evidence.add(&a.heap);
        self.timeline.add(name, a, classes)
    }

    /// Which dumps to keep analysed for [`build`]: the ids of the first, middle and newest
    /// (all of them when there are at most three), in time order.
    pub fn focus_ids(&self) -> Vec<usize> {
        let order = self.timeline.order();
        match order.len() {
            0..=3 => order,
            n => vec![order[0], order[n / 2], order[n - 1]],
        }
    }
}

/// Reads `len` bytes of a dump's file at an offset: object contents, read again.
pub type Read<'a> = &'a dyn Fn(u64, usize) -> Option<Vec<u8>>;

/// An analysed dump given to [`build`].
pub struct Input<'a> {
    /// Its id from [`Gather::add`].
    pub id: usize,
    pub a: &'a Analysis,
    pub classes: &'a Classes,
    /// Its file, for naming the findings' paths by field when an executable typed the heap
    /// (`leaks::name_paths`); `None` leaves them unnamed.
    pub read: Option<Read<'a>>,
}

/// A report of one or more dumps analysed together (at most a few: all are in memory).
pub fn report(dumps: &[(&str, &Analysis, &Classes)], opts: &Options) -> Report {
    let mut g = Gather::default();
    let inputs: Vec<Input<'_>> = dumps
        .iter()
        .map(|&(name, a, classes)| Input {
            id: g.add(name, a, classes),
            a,
            classes,
            read: None,
        })
        .collect();
    let focus = g.focus_ids();
    let inputs: Vec<Input<'_>> = inputs
        .into_iter()
        .filter(|i| focus.contains(&i.id))
        .collect();
    build(g, &inputs, opts)
}

/// The report: `gather` has seen every dump; `inputs` are the ones [`Gather::focus_ids`]
/// named, analysed (any order).
pub fn build(gather: Gather, inputs: &[Input<'_>], opts: &Options) -> Report {
    let order = gather.timeline.order();
    let pos = |id: usize| order.iter().position(|&o| o == id).unwrap_or(0);
    let mut inputs: Vec<&Input<'_>> = inputs.iter().collect();
    inputs.sort_by_key(|i| pos(i.id));
    let timeline = gather.timeline.finish(opts.rows);
    let Some(last) = inputs.last() else {
        return Report {
            format: FORMAT.into(),
            generator: opts.generator.clone(),
            dumps: timeline.dumps,
            ..Report::default()
        };
    };
    let a = last.a;
    let classes = last.classes;
    let groups = goroutines::groups(a);
    let mut found = leaks::findings(a, classes, &groups);
    if let Some(read) = last.read {
        leaks::with_contents(&mut found, a, classes, &groups, None, &mut |off, len| {
            read(off, len)
        });
    }

    let summary = super::summary(a);

    let class_rows = super::classes(a, classes);
    let total_classes = class_rows.len() as u64;
    let group_rows = super::goroutine_groups(&groups);
    let total_goroutine_groups = group_rows.len() as u64;

    let growth = (inputs.len() >= 2).then(|| {
        let pairs: Vec<(&Analysis, &Classes)> = inputs.iter().map(|i| (i.a, i.classes)).collect();
        Growth::from_diff(
            inputs.iter().map(|i| pos(i.id)).collect(),
            diff::diff(&pairs),
            opts.rows,
        )
    });

    let report = Report {
        format: FORMAT.into(),
        generator: opts.generator.clone(),
        redacted: false,
        redaction: Vec::new(),
        dumps: timeline.dumps.clone(),
        focus: pos(last.id),
        summary,
        classes: class_rows.into_iter().take(opts.classes).collect(),
        total_classes,
        reachable_bytes: found.reachable_bytes,
        findings: found.findings.iter().map(FindingEntry::from).collect(),
        goroutine_groups: group_rows.into_iter().take(opts.rows).collect(),
        total_goroutine_groups,
        growth,
        timeline: (timeline.dumps.len() >= 2).then_some(timeline),
    };
    match &opts.key {
        Some(key) => redact(report, &Redactor::new(key, &gather.evidence)),
        None => report,
    }
}

/// The sentences a redacted report shows about what was removed.
pub const REDACTION_RULES: [&str; 5] = [
    "No object contents and no string values: the report holds counts, sizes, type and function names only.",
    "Addresses are pseudonyms (o-… in the heap, a-… elsewhere): a keyed hash whose key stays on the machine that made the report. The same address gets the same pseudonym in every report made with that key; without it nothing about the address can be recovered.",
    "Allocation sites keep file and line (main.go:42) only for files in the main package's directory or below it; files under GOROOT, in the module cache, vendored or elsewhere are dropped, function names stay.",
    "No directories: dumps are named by their file name only.",
    "Offsets written +0x… (a global's offset in its segment, a local's in its frame) are not addresses and stay.",
];

/// Rewrites every string of the report (see `redact`), then names dumps by base name and
/// drops full file paths.
pub fn redact(report: Report, r: &Redactor) -> Report {
    let base = |s: &mut String| {
        let b = s.rsplit(['/', '\\']).next().unwrap_or(s).to_string();
        *s = b;
    };
    let mut report = report;
    for p in &mut report.dumps {
        base(&mut p.name);
    }
    if let Some(t) = &mut report.timeline {
        for p in &mut t.dumps {
            base(&mut p.name);
        }
        for s in &mut t.sites {
            s.file = None;
        }
    }
    let mut v = serde_json::to_value(&report).expect("a report serializes");
    r.value(&mut v);
    let mut out: Report = serde_json::from_value(v).expect("the same shape deserializes");
    // Sites that differed only by a dropped file now print alike: one row each.
    if let Some(t) = &mut out.timeline {
        t.total_classes -= super::timeline::merge_same_names(&mut t.classes);
        t.total_sites -= super::timeline::merge_same_names(&mut t.sites);
    }
    if let Some(g) = &mut out.growth {
        g.total_classes -= merge_growth(&mut g.classes);
    }
    out.redacted = true;
    out.redaction = REDACTION_RULES.iter().map(|s| s.to_string()).collect();
    out
}

/// [`super::timeline::merge_same_names`] for the growth table (ranked by growth in bytes).
fn merge_growth(rows: &mut Vec<GrowthEntry>) -> u64 {
    let mut series: Vec<super::timeline::Series> = rows
        .drain(..)
        .map(|g| super::timeline::Series {
            name: g.class,
            counts: g.counts,
            bytes: g.bytes,
            ..Default::default()
        })
        .collect();
    let folded = super::timeline::merge_same_names(&mut series);
    let growth = |r: &GrowthEntry| {
        r.bytes.last().copied().unwrap_or(0) as i128 - r.bytes.first().copied().unwrap_or(0) as i128
    };
    *rows = series
        .into_iter()
        .map(|s| GrowthEntry {
            class: s.name,
            counts: s.counts,
            bytes: s.bytes,
        })
        .collect();
    rows.sort_by(|x, y| growth(y).cmp(&growth(x)).then(x.class.cmp(&y.class)));
    folded
}
