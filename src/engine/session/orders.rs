//! The row orders of the object tables (every object, lost objects, dominator children,
//! references): the table's objects, filtered by class or address and sorted by a column.
//! Orders are cached, since the views page through them a block at a time.

use std::rc::Rc;

use super::Session;
use crate::engine::protocol::*;

/// Row orders are cached per (table, sort, filter); a few recent ones are kept, holding at
/// most one and a half object tables' worth of ids in all: each full order is 4 B per
/// object, and in wasm memory once grown is never returned.
const ORDER_CACHE: usize = 8;

pub(super) type OrderKey = (TableKind, SortSpec, String);

impl Session {
    /// The objects of an object table before filtering.
    pub(super) fn base_ids(&mut self, table: &TableKind) -> Result<Vec<u32>, String> {
        let n = self.heap().objects.len() as u32;
        let root = self.heap().root_node();
        Ok(match table {
            TableKind::Objects => (0..n).collect(),
            TableKind::Lost => (0..n).filter(|&i| !self.a.is_reachable(i)).collect(),
            TableKind::DomChildren { parent } => {
                let p = match parent {
                    Some(addr) => self.find(*addr)?,
                    None => root,
                };
                self.children().neighbors(p).to_vec()
            }
            TableKind::Outgoing { addr } | TableKind::Incoming { addr } => {
                let id = self.find(*addr)?;
                let g = if matches!(table, TableKind::Outgoing { .. }) {
                    &self.heap().succ
                } else {
                    &self.heap().pred
                };
                let mut v: Vec<u32> = g
                    .neighbors(id)
                    .iter()
                    .copied()
                    .filter(|&t| t != root)
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            }
            TableKind::Classes | TableKind::Goroutines => Vec::new(),
        })
    }

    /// The filtered, sorted row order of an object table (cached).
    pub(super) fn object_order(
        &mut self,
        table: &TableKind,
        sort: &SortSpec,
        filter: &str,
    ) -> Result<Rc<Vec<u32>>, String> {
        let key = (table.clone(), sort.clone(), filter.to_string());
        if let Some(i) = self.orders.iter().position(|(k, _)| *k == key) {
            let hit = self.orders.remove(i);
            let order = hit.1.clone();
            self.orders.push(hit);
            return Ok(order);
        }
        // Make room first, so a new full-table order never joins several old ones.
        let n = self.heap().objects.len();
        let f = filter.trim();
        let upper = match table {
            TableKind::Objects | TableKind::Lost if f.is_empty() => n,
            TableKind::Objects | TableKind::Lost if f.starts_with("0x") || f.starts_with("0X") => 1,
            // A class filter keeps at most the matching classes' objects.
            TableKind::Objects | TableKind::Lost => {
                let matching = self.classes.matching(f);
                let rows = &self.classes.classes.classes;
                rows.iter()
                    .zip(&matching)
                    .filter(|(_, &m)| m)
                    .map(|(c, _)| c.count as usize)
                    .sum()
            }
            _ => 0,
        };
        let limit = n + n / 2;
        let mut total: usize = self.orders.iter().map(|(_, o)| o.len()).sum();
        while !self.orders.is_empty() && total + upper > limit {
            total -= self.orders.remove(0).1.len();
        }
        let mut ids = self.base_ids(table)?;
        let filter = filter.trim();
        if let Some(hex) = filter
            .strip_prefix("0x")
            .or_else(|| filter.strip_prefix("0X"))
        {
            let target = u64::from_str_radix(hex, 16)
                .ok()
                .and_then(|addr| self.heap().objects.find(addr));
            ids.retain(|&i| Some(i) == target);
        } else if !filter.is_empty() {
            let matching = self.classes.matching(filter);
            let of = &self.classes.classes.of;
            ids.retain(|&i| matching[of[i as usize] as usize]);
        }
        let desc = sort.desc;
        match sort.key.as_str() {
            "address" => ids.sort_unstable(),
            "shallow" => {
                let size = &self.heap().objects.size;
                ids.sort_unstable_by_key(|&i| (std::cmp::Reverse(size.get(i as usize)), i));
                if !desc {
                    ids.reverse();
                }
            }
            "class" => {
                let c = &self.classes;
                let of = &c.classes.of;
                ids.sort_unstable_by_key(|&i| (c.name_rank[of[i as usize] as usize], i));
                if desc {
                    ids.reverse();
                }
            }
            _ => {
                let r = &self.a.retained;
                ids.sort_unstable_by_key(|&i| (std::cmp::Reverse(r[i as usize]), i));
                if !desc {
                    ids.reverse();
                }
            }
        }
        if sort.key == "address" && desc {
            ids.reverse();
        }
        let order = Rc::new(ids);
        self.orders.push((key, order.clone()));
        if self.orders.len() > ORDER_CACHE {
            self.orders.remove(0);
        }
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn pages_sort_and_filter_objects() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let p = page(
            &mut s,
            TableKind::Objects,
            0,
            50,
            SortSpec::new("retained", true),
            "",
        );
        assert_eq!(p.total, n);
        let rows = objects(p);
        assert_eq!(rows.len(), 50);
        assert!(rows.windows(2).all(|w| w[0].retained >= w[1].retained));
        // Pages line up: the second page starts where the first ended.
        let second = objects(page(
            &mut s,
            TableKind::Objects,
            49,
            2,
            SortSpec::new("retained", true),
            "",
        ));
        assert_eq!(second[0], rows[49]);
        // Ascending shallow.
        let asc = objects(page(
            &mut s,
            TableKind::Objects,
            0,
            100,
            SortSpec::new("shallow", false),
            "",
        ));
        assert!(asc.windows(2).all(|w| w[0].shallow <= w[1].shallow));
        // An address finds its object, interior addresses included.
        let target = &rows[0];
        let f = page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            &format!("0x{:x}", target.addr + 1),
        );
        assert_eq!(f.total, 1);
        assert_eq!(objects(f)[0].addr, target.addr);
        // An exact class filter keeps exactly that class's objects.
        let Rows::Classes(classes) = page(
            &mut s,
            TableKind::Classes,
            0,
            1,
            SortSpec::new("retained", true),
            "",
        )
        .rows
        else {
            panic!("not classes")
        };
        let class = &classes[0];
        let f = page(
            &mut s,
            TableKind::Objects,
            0,
            PAGE_MAX,
            SortSpec::new("address", false),
            &format!("={}", class.class),
        );
        assert_eq!(f.total, class.count);
        let f = objects(f);
        assert!(f
            .iter()
            .all(|r| r.class == class.class && r.class_source == class.source));
        assert!(f.windows(2).all(|w| w[0].addr < w[1].addr));
        if class.count <= u64::from(PAGE_MAX) {
            assert_eq!(f.iter().map(|r| r.shallow).sum::<u64>(), class.shallow);
        }
    }

    #[test]
    fn cached_orders_hold_at_most_one_and_a_half_tables() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len();
        for key in ["retained", "shallow", "address", "class", "retained"] {
            for desc in [true, false] {
                page(
                    &mut s,
                    TableKind::Objects,
                    0,
                    10,
                    SortSpec::new(key, desc),
                    "",
                );
                let cached: usize = s.orders.iter().map(|(_, o)| o.len()).sum();
                assert!(cached <= n + n / 2, "{cached} ids cached for {n} objects");
            }
        }
        // A small filtered order still sits beside a full one.
        page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            "",
        );
        page(
            &mut s,
            TableKind::Objects,
            0,
            10,
            SortSpec::new("retained", true),
            "=no such class",
        );
        assert_eq!(s.orders.len(), 2);
    }
}
