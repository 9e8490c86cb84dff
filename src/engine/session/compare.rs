//! Other dumps of the same process, kept analysed (not their files) beside the open one,
//! put in time order and diffed (`analysis::diff`).

use super::{err, Session};
use crate::analysis::classes::Classes;
use crate::analysis::{diff, Analysis};
use crate::engine::protocol::*;

/// Most dumps in a comparison (the current one included).
pub const COMPARE_MAX: usize = 3;

/// Another dump of the same process, kept (analysed, without its file) for the diff.
pub struct Baseline {
    pub name: String,
    pub a: Analysis,
    pub classes: Classes,
}

impl Session {
    /// The dumps of the comparison in time order: `None` is the current dump, `Some(i)` a
    /// baseline. Sorted by MemStats.LastGC (then NumGC) when every dump has MemStats;
    /// otherwise the baselines follow the current dump in the order they were added.
    pub(super) fn compare_order(&self) -> Vec<Option<usize>> {
        let mut order: Vec<Option<usize>> = std::iter::once(None)
            .chain((0..self.baselines.len()).map(Some))
            .collect();
        let key = |o: &Option<usize>| {
            let a = match o {
                None => &self.a,
                Some(i) => &self.baselines[*i].a,
            };
            a.heap.memstats.as_ref().map(|m| (m.last_gc, m.num_gc))
        };
        if order.iter().all(|o| key(o).is_some()) {
            order.sort_by_key(key);
        }
        order
    }

    pub fn compare_dumps(&self) -> Vec<CompareDump> {
        self.compare_order()
            .into_iter()
            .map(|o| {
                let (name, a) = match o {
                    None => (&self.name, &self.a),
                    Some(i) => (&self.baselines[i].name, &self.baselines[i].a),
                };
                CompareDump {
                    name: name.clone(),
                    objects: a.heap.objects.len() as u64,
                    bytes: a.heap.total_object_bytes(),
                    current: o.is_none(),
                }
            })
            .collect()
    }

    /// Keeps another analysed dump for the comparison.
    pub fn add_baseline(&mut self, name: String, a: Analysis) -> Response {
        if self.baselines.len() + 1 >= COMPARE_MAX {
            return err(format!("at most {COMPARE_MAX} dumps can be compared"));
        }
        let classes = Classes::compute(&a);
        self.baselines.push(Baseline { name, a, classes });
        Response::Compare {
            dumps: self.compare_dumps(),
        }
    }

    pub(super) fn diff(&mut self) -> Response {
        if self.baselines.is_empty() {
            return Response::Compare {
                dumps: self.compare_dumps(),
            };
        }
        let order = self.compare_order();
        let dumps = self.compare_dumps();
        let list: Vec<(&Analysis, &Classes)> = order
            .iter()
            .map(|o| match o {
                None => (&self.a, &self.classes.classes),
                Some(i) => (&self.baselines[*i].a, &self.baselines[*i].classes),
            })
            .collect();
        let growth = Growth::from_diff((0..list.len()).collect(), diff::diff(&list), DIFF_ROWS);
        Response::Diff(Box::new(DiffView { dumps, growth }))
    }

    /// Drops a compared dump (`index` into the time-ordered list).
    pub(super) fn remove_compare(&mut self, index: u32) -> Response {
        let order = self.compare_order();
        let i = index as usize;
        match order.get(i) {
            Some(&Some(b)) => {
                self.baselines.remove(b);
                Response::Compare {
                    dumps: self.compare_dumps(),
                }
            }
            Some(None) => err("the current dump cannot be removed from the comparison"),
            None => err(format!("no compared dump #{i}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn compare_orders_dumps_by_time_and_diffs_them() {
        let dumps: Vec<Vec<u8>> = (1..=3)
            .map(|i| fixture(&format!("growth-go1.27-{i}.dump")))
            .collect();
        // Open the middle one, add the last, then the first.
        let mut s = open(&dumps[1]);
        assert!(matches!(
            s.handle(&Request::Diff, &SliceSource(&dumps[1])),
            Response::Compare { ref dumps } if dumps.len() == 1
        ));
        for i in [2, 0] {
            let (a, _, _) = load(&SliceSource(&dumps[i]), &|| 0.0, &mut |_| {}).unwrap();
            let r = s.add_baseline(format!("growth-{}.dump", i + 1), a);
            assert!(matches!(r, Response::Compare { .. }), "{r:?}");
        }
        let Response::Diff(d) = s.handle(&Request::Diff, &SliceSource(&dumps[1])) else {
            panic!("no diff")
        };
        let names: Vec<&str> = d.dumps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["growth-1.dump", "test.dump", "growth-3.dump"]);
        assert!(d.dumps[1].current);
        let rec = &d.growth.classes[0];
        assert!(rec.class.starts_with("main.newRecord"), "{rec:?}");
        assert_eq!(rec.counts, vec![500, 1000, 1500]);
        assert!(d
            .growth
            .candidates
            .iter()
            .any(|c| c.class.starts_with("main.newRecord")));
        // A fourth dump is refused; removing one goes back to two.
        let (a, _, _) = load(&SliceSource(&dumps[0]), &|| 0.0, &mut |_| {}).unwrap();
        assert!(matches!(
            s.add_baseline("again".into(), a),
            Response::Error { .. }
        ));
        let Response::Compare { dumps: left } = s.handle(
            &Request::RemoveCompare { index: 0 },
            &SliceSource(&dumps[1]),
        ) else {
            panic!("not removed")
        };
        assert_eq!(left.len(), 2);
        assert!(matches!(
            s.handle(
                &Request::RemoveCompare { index: 0 },
                &SliceSource(&dumps[1])
            ),
            Response::Error { .. }
        ));
    }
}
