//! The heap over time: in-use bytes and object counts of several dumps of one process, in
//! total, per class and per allocation site, with the classes that keep growing flagged.
//!
//! Dumps are put in time order by `MemStats.LastGC` (wall clock of the last collection; a
//! dump taken right after `runtime.GC()` carries its own time), then `NumGC`. When a dump has
//! no MemStats the order given is kept. Each dump is reduced to its aggregates as it is
//! added ([`TimelineBuilder::add`]), so a long series never holds more than one analysis.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::analysis::classes::Classes;
use crate::analysis::naming;
use crate::analysis::Analysis;

/// A class is flagged when its bytes rose at every step over at least this many dumps,
/// ending with the newest.
pub const GROWTH_RUN: usize = 3;

/// The row of objects no allocation sample names (`MemProfileRate` above 1).
pub const UNSAMPLED: &str = "(no allocation sample)";

/// One dump of the series.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Point {
    pub name: String,
    /// `MemStats.LastGC`, nanoseconds since the Unix epoch.
    pub last_gc_unix_ns: Option<u64>,
    /// `last_gc_unix_ns` as `2024-05-01 12:00:00.123 UTC`.
    pub time_utc: Option<String>,
    pub num_gc: Option<u64>,
    pub go_version: String,
    /// Objects in the dump and their slot bytes (the heap in use).
    pub objects: u64,
    pub bytes: u64,
    pub heap_alloc: Option<u64>,
}

/// A class or allocation site across the series.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Series {
    pub name: String,
    /// Objects and bytes in each dump, in time order.
    pub counts: Vec<u64>,
    pub bytes: Vec<u64>,
    /// Bytes rose at every step from dump `growing_since` to the newest, over at least
    /// [`GROWTH_RUN`] dumps.
    pub grows: bool,
    pub growing_since: Option<u32>,
    /// Allocation sites only, unredacted reports only: the site's full file path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Timeline {
    /// `MemStats.LastGC`, or `as given` when a dump has no MemStats.
    pub ordered_by: String,
    pub dumps: Vec<Point>,
    /// Flagged rows first, then by growth in bytes from the first dump to the newest.
    pub classes: Vec<Series>,
    pub total_classes: u64,
    pub sites: Vec<Series>,
    pub total_sites: u64,
}

impl Timeline {
    pub fn flagged_classes(&self) -> impl Iterator<Item = &Series> {
        self.classes.iter().filter(|s| s.grows)
    }
}

/// Where the strictly rising run of `v` that ends at its last value starts, when it spans at
/// least [`GROWTH_RUN`] values.
pub fn growing_since(v: &[u64]) -> Option<usize> {
    let mut start = v.len().checked_sub(1)?;
    while start > 0 && v[start - 1] < v[start] {
        start -= 1;
    }
    (v.len() - start >= GROWTH_RUN).then_some(start)
}

/// The time-order key of a dump: (LastGC, NumGC).
pub fn order_key(a: &Analysis) -> Option<(u64, u64)> {
    a.heap.memstats.as_ref().map(|m| (m.last_gc, m.num_gc))
}

/// Indices of `keys` in time order; the given order when a key is missing.
pub fn time_order(keys: &[Option<(u64, u64)>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if keys.iter().all(Option::is_some) {
        order.sort_by_key(|&i| keys[i]);
    }
    order
}

struct DumpAggregate {
    point: Point,
    key: Option<(u64, u64)>,
    classes: HashMap<String, (u64, u64)>,
    sites: HashMap<String, (u64, u64)>,
}

/// Reduces dumps to their aggregates one at a time; [`TimelineBuilder::finish`] orders them.
#[derive(Default)]
pub struct TimelineBuilder {
    dumps: Vec<DumpAggregate>,
    /// Full path of each site's file.
    site_files: HashMap<String, String>,
}

impl TimelineBuilder {
    pub fn len(&self) -> usize {
        self.dumps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dumps.is_empty()
    }

    /// The order keys of the dumps added so far, by insertion.
    pub fn keys(&self) -> Vec<Option<(u64, u64)>> {
        self.dumps.iter().map(|d| d.key).collect()
    }

    /// Adds a dump; returns its insertion index.
    pub fn add(&mut self, name: &str, a: &Analysis, classes: &Classes) -> usize {
        let h = &a.heap;
        let mut by_class: HashMap<String, (u64, u64)> = HashMap::new();
        let mut per_class = vec![(0u64, 0u64); classes.classes.len()];
        for (i, &c) in classes.of.iter().enumerate() {
            let e = &mut per_class[c as usize];
            e.0 += 1;
            e.1 += h.objects.size.get(i);
        }
        for (c, (n, b)) in per_class.into_iter().enumerate() {
            // Classes of one dump can share a name (a type and a site that print alike).
            let e = by_class.entry(classes.classes[c].name.clone()).or_default();
            e.0 += n;
            e.1 += b;
        }

        // Sites: each sampled object by its bucket's first frame outside the runtime.
        let mut bucket_site: HashMap<u32, Option<String>> = HashMap::new();
        let mut by_site: HashMap<String, (u64, u64)> = HashMap::new();
        let (mut sampled, mut sampled_bytes) = (0u64, 0u64);
        for (obj, b) in h.alloc_samples.iter() {
            let site = bucket_site.entry(b).or_insert_with(|| {
                let label = naming::alloc_site(h, obj)?;
                let frames = h.bucket_frames(&h.buckets[b as usize]);
                if let Some(f) = frames
                    .iter()
                    .find(|f| !naming::is_runtime_func(h.str(f.func)))
                    .or_else(|| frames.first())
                {
                    self.site_files
                        .entry(label.clone())
                        .or_insert_with(|| h.str(f.file).to_string());
                }
                Some(label)
            });
            if let Some(site) = site {
                let size = h.objects.size.get(obj as usize);
                let e = by_site.entry(site.clone()).or_default();
                e.0 += 1;
                e.1 += size;
                sampled += 1;
                sampled_bytes += size;
            }
        }
        let objects = h.objects.len() as u64;
        let bytes = h.total_object_bytes();
        if sampled < objects {
            by_site.insert(
                UNSAMPLED.to_string(),
                (objects - sampled, bytes - sampled_bytes),
            );
        }

        let m = h.memstats.as_ref();
        self.dumps.push(DumpAggregate {
            point: Point {
                name: name.to_string(),
                last_gc_unix_ns: m.map(|m| m.last_gc),
                time_utc: m.map(|m| utc(m.last_gc)),
                num_gc: m.map(|m| m.num_gc),
                go_version: h.params.go_version.clone(),
                objects,
                bytes,
                heap_alloc: m.map(|m| m.heap_alloc),
            },
            key: order_key(a),
            classes: by_class,
            sites: by_site,
        });
        self.dumps.len() - 1
    }

    /// The insertion indices in time order.
    pub fn order(&self) -> Vec<usize> {
        time_order(&self.keys())
    }

    /// The series in time order, with at most `limit` rows per table (flagged rows always).
    pub fn finish(self, limit: usize) -> Timeline {
        let order = self.order();
        let ordered_by = if self.dumps.iter().all(|d| d.key.is_some()) {
            "MemStats.LastGC"
        } else {
            "as given"
        };
        let (classes, total_classes) = series(&self.dumps, &order, |d| &d.classes, limit);
        let (mut sites, total_sites) = series(&self.dumps, &order, |d| &d.sites, limit);
        for s in &mut sites {
            s.file = self.site_files.get(&s.name).cloned();
        }
        Timeline {
            ordered_by: ordered_by.to_string(),
            dumps: order.iter().map(|&i| self.dumps[i].point.clone()).collect(),
            classes,
            total_classes,
            sites,
            total_sites,
        }
    }
}

fn series(
    dumps: &[DumpAggregate],
    order: &[usize],
    table: impl Fn(&DumpAggregate) -> &HashMap<String, (u64, u64)>,
    limit: usize,
) -> (Vec<Series>, u64) {
    let k = order.len();
    let mut rows: HashMap<&str, Series> = HashMap::new();
    for (t, &i) in order.iter().enumerate() {
        for (name, &(n, b)) in table(&dumps[i]) {
            let row = rows.entry(name).or_insert_with(|| Series {
                name: name.clone(),
                counts: vec![0; k],
                bytes: vec![0; k],
                ..Series::default()
            });
            row.counts[t] = n;
            row.bytes[t] = b;
        }
    }
    let mut rows: Vec<Series> = rows.into_values().collect();
    rows.iter_mut().for_each(flag);
    sort(&mut rows);
    let total = rows.len() as u64;
    let flagged = rows.iter().filter(|r| r.grows).count();
    rows.truncate(limit.max(flagged));
    (rows, total)
}

/// Sets `grows` and `growing_since` from the bytes.
pub fn flag(r: &mut Series) {
    let since = growing_since(&r.bytes);
    r.grows = since.is_some();
    r.growing_since = since.map(|s| s as u32);
}

/// Flagged rows first, then by growth in bytes from the first dump to the newest, then by
/// bytes in the newest, then by name.
pub fn sort(rows: &mut [Series]) {
    let growth = |r: &Series| {
        r.bytes.last().copied().unwrap_or(0) as i128 - r.bytes.first().copied().unwrap_or(0) as i128
    };
    rows.sort_by(|x, y| {
        y.grows
            .cmp(&x.grows)
            .then(growth(y).cmp(&growth(x)))
            .then(y.bytes.last().cmp(&x.bytes.last()))
            .then(x.name.cmp(&y.name))
    });
}

/// Adds up rows of the same name (redaction can make two sites print alike), keeping the
/// first row's place; returns how many rows were folded away.
pub fn merge_same_names(rows: &mut Vec<Series>) -> u64 {
    let before = rows.len();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Series> = Vec::with_capacity(rows.len());
    for r in rows.drain(..) {
        match index.get(&r.name) {
            Some(&i) => {
                let m = &mut out[i];
                for (a, b) in m.counts.iter_mut().zip(&r.counts) {
                    *a += b;
                }
                for (a, b) in m.bytes.iter_mut().zip(&r.bytes) {
                    *a += b;
                }
                if m.file != r.file {
                    m.file = None;
                }
            }
            None => {
                index.insert(r.name.clone(), out.len());
                out.push(r);
            }
        }
    }
    out.iter_mut().for_each(flag);
    sort(&mut out);
    *rows = out;
    (before - rows.len()) as u64
}

/// Nanoseconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss.mmm UTC`.
pub fn utc(unix_ns: u64) -> String {
    let secs = unix_ns / 1_000_000_000;
    let ms = (unix_ns / 1_000_000) % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_runs_end_at_the_newest_dump() {
        assert_eq!(growing_since(&[500, 1000, 1500]), Some(0));
        assert_eq!(growing_since(&[9, 1, 2, 3]), Some(1));
        assert_eq!(growing_since(&[0, 0, 16]), None);
        assert_eq!(growing_since(&[1, 2, 2]), None);
        assert_eq!(growing_since(&[1, 2]), None);
        assert_eq!(growing_since(&[3, 2, 1]), None);
        assert_eq!(growing_since(&[]), None);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(951_782_400_123_000_000), "2000-02-29 00:00:00.123 UTC");
        assert_eq!(
            utc(1_700_000_000_000_000_000),
            "2023-11-14 22:13:20.000 UTC"
        );
    }

    #[test]
    fn order_needs_every_key() {
        assert_eq!(
            time_order(&[Some((3, 1)), Some((1, 9)), Some((2, 0))]),
            vec![1, 2, 0]
        );
        assert_eq!(time_order(&[Some((3, 1)), None]), vec![0, 1]);
    }
}
