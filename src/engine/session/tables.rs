//! Paging every table: object tables through their cached row orders (`orders`), classes
//! and goroutine groups through orders sorted and filtered per request.

use super::{err, Session};
use crate::engine::protocol::*;

/// Largest page answered.
pub const PAGE_MAX: u32 = 1000;

impl Session {
    pub(super) fn class_order(&self, sort: &SortSpec, filter: &str) -> Vec<u32> {
        let l = &self.classes;
        let matching = l.matching(filter.trim());
        let rows = &l.rows;
        let mut ids: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| matching[i as usize])
            .collect();
        let key = |i: &u32| -> u64 {
            let r = &rows[*i as usize];
            match sort.key.as_str() {
                "count" => r.count,
                "shallow" => r.shallow,
                _ => r.retained,
            }
        };
        if sort.key == "name" {
            ids.sort_by_key(|&i| l.name_rank[i as usize]);
            if sort.desc {
                ids.reverse();
            }
        } else {
            ids.sort_by_key(|i| (std::cmp::Reverse(key(i)), *i));
            if !sort.desc {
                ids.reverse();
            }
        }
        ids
    }

    pub(super) fn group_order(&mut self, sort: &SortSpec, filter: &str) -> Vec<u32> {
        let needle = filter.trim().to_lowercase();
        let groups = &self.leaks().groups;
        let mut ids: Vec<u32> = (0..groups.len() as u32)
            .filter(|&i| {
                let g = &groups[i as usize];
                needle.is_empty()
                    || g.wait_reason.to_lowercase().contains(&needle)
                    || g.stack.iter().any(|f| f.to_lowercase().contains(&needle))
                    || g.created_by
                        .as_ref()
                        .is_some_and(|c| c.to_lowercase().contains(&needle))
            })
            .collect();
        match sort.key.as_str() {
            "wait_reason" | "top_function" => {
                let text = |i: u32| -> &str {
                    let g = &groups[i as usize];
                    if sort.key == "wait_reason" {
                        &g.wait_reason
                    } else {
                        &g.top_function
                    }
                };
                ids.sort_by(|&x, &y| text(x).cmp(text(y)));
                if sort.desc {
                    ids.reverse();
                }
            }
            key => {
                let value = |i: u32| -> u64 {
                    let g = &groups[i as usize];
                    if key == "stack_retained" {
                        g.stack_retained_bytes
                    } else {
                        g.count
                    }
                };
                ids.sort_by_key(|&i| (std::cmp::Reverse(value(i)), i));
                if !sort.desc {
                    ids.reverse();
                }
            }
        }
        ids
    }

    pub fn page(&mut self, p: &PageRequest) -> Response {
        let limit = p.limit.min(PAGE_MAX) as usize;
        let offset = p.offset as usize;
        let window = |len: usize| offset.min(len)..offset.saturating_add(limit).min(len);
        match &p.table {
            TableKind::Classes => {
                let order = self.class_order(&p.sort, &p.filter);
                let rows = &self.classes.rows;
                let items = order[window(order.len())]
                    .iter()
                    .map(|&i| rows[i as usize].clone())
                    .collect();
                Response::Page(Page {
                    offset: p.offset,
                    total: order.len() as u64,
                    rows: Rows::Classes(items),
                })
            }
            TableKind::Goroutines => {
                let order = self.group_order(&p.sort, &p.filter);
                let groups = &self.leaks().groups;
                let items = order[window(order.len())]
                    .iter()
                    .map(|&i| groups[i as usize].clone())
                    .collect();
                Response::Page(Page {
                    offset: p.offset,
                    total: order.len() as u64,
                    rows: Rows::Goroutines(items),
                })
            }
            table => match self.object_order(table, &p.sort, &p.filter) {
                Ok(order) => {
                    let items = order[window(order.len())]
                        .iter()
                        .map(|&i| self.obj_row(i))
                        .collect();
                    Response::Page(Page {
                        offset: p.offset,
                        total: order.len() as u64,
                        rows: Rows::Objects(items),
                    })
                }
                Err(e) => err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn classes_cover_every_object_once() {
        let bytes = fixture("basic-go1.19.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let p = page(
            &mut s,
            TableKind::Classes,
            0,
            PAGE_MAX,
            SortSpec::new("count", true),
            "",
        );
        let Rows::Classes(rows) = p.rows else {
            panic!("not classes")
        };
        assert!(
            p.total <= u64::from(PAGE_MAX),
            "the fixture has few classes"
        );
        assert_eq!(rows.len() as u64, p.total);
        assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), n);
        assert!(rows.windows(2).all(|w| w[0].count >= w[1].count));
        // The 1000 items of the map were allocated by main.newItem.
        assert!(
            rows.iter()
                .any(|r| r.class.contains("main.newItem") && r.count >= 1000),
            "{rows:#?}"
        );
    }

    #[test]
    fn goroutine_groups_fold_identical_stacks() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let p = page(
            &mut s,
            TableKind::Goroutines,
            0,
            100,
            SortSpec::new("count", true),
            "",
        );
        let Rows::Goroutines(groups) = p.rows else {
            panic!()
        };
        let w = groups
            .iter()
            .find(|g| g.top_function == "main.blockedWorker")
            .expect("a main.blockedWorker group");
        assert_eq!(w.count, 8);
        assert_eq!(w.wait_reason, "chan receive");
        assert_eq!(
            groups.iter().map(|g| g.count).sum::<u64>(),
            s.a.heap.goroutines.len() as u64
        );
        let f = page(
            &mut s,
            TableKind::Goroutines,
            0,
            100,
            SortSpec::new("count", true),
            "blockedworker",
        );
        assert_eq!(f.total, 1);
    }

    #[test]
    fn dominator_children_add_up_to_the_reachable_bytes() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let p = page(
            &mut s,
            TableKind::DomChildren { parent: None },
            0,
            PAGE_MAX,
            SortSpec::new("retained", true),
            "",
        );
        let total = p.total;
        let mut sum: u64 = 0;
        let mut offset = 0;
        loop {
            let rows = objects(page(
                &mut s,
                TableKind::DomChildren { parent: None },
                offset,
                PAGE_MAX,
                SortSpec::new("retained", true),
                "",
            ));
            if rows.is_empty() {
                break;
            }
            assert!(rows.windows(2).all(|w| w[0].retained >= w[1].retained));
            sum += rows.iter().map(|r| r.retained).sum::<u64>();
            offset += rows.len() as u32;
        }
        assert_eq!(offset as u64, total);
        assert_eq!(sum, s.a.reachable_bytes());
    }
}
