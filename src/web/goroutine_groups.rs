//! Goroutines grouped by status, wait reason and function stack, the way `pprof`'s
//! goroutine profile folds identical stacks: 10 000 goroutines blocked in the same place
//! are one row with a count.

use std::collections::HashMap;

use crate::analysis::naming::is_runtime_func;
use crate::heap::Heap;
use crate::report;
use crate::web::protocol::GoroutineGroupRow;

/// How many goroutine ids a group lists.
const IDS_PER_GROUP: usize = 50;

/// Groups, largest first (ties by top function).
pub fn group(heap: &Heap) -> Vec<GoroutineGroupRow> {
    let mut index: HashMap<(String, String, Vec<String>), usize> = HashMap::new();
    let mut groups: Vec<GoroutineGroupRow> = Vec::new();
    for g in report::goroutines(heap) {
        let stack: Vec<String> = g.frames.into_iter().map(|f| f.func).collect();
        let key = (g.status.to_string(), g.wait_reason.clone(), stack);
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                let (status, wait_reason, stack) = key.clone();
                let top_function = stack
                    .iter()
                    .find(|f| !is_runtime_func(f))
                    .or_else(|| stack.first())
                    .cloned()
                    .unwrap_or_default();
                groups.push(GoroutineGroupRow {
                    status,
                    wait_reason,
                    top_function,
                    stack,
                    ..GoroutineGroupRow::default()
                });
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        let row = &mut groups[i];
        row.count += 1;
        row.system |= g.system;
        if row.ids.len() < IDS_PER_GROUP {
            row.ids.push(g.id);
        }
        row.max_wait_since = row.max_wait_since.max(g.wait_since);
    }
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.top_function.cmp(&b.top_function))
    });
    groups
}
