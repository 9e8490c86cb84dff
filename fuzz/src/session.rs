//! Drives the engine's session (`dumpscope::engine::session`) the way the UI
//! does: load, then every kind of request, with the sorts, filters and offsets the views
//! send and a few that only a broken or hostile page would. Nothing may panic: in the
//! browser a panic is the crash panel.

use dumpscope::engine::protocol::*;
use dumpscope::engine::session::{self, Session, SliceSource};

use crate::checks::sample_objects;

fn page(table: &TableKind, offset: u32, limit: u32, sort: SortSpec, filter: &str) -> Request {
    Request::Page(PageRequest {
        table: table.clone(),
        offset,
        limit,
        sort,
        filter: filter.to_string(),
    })
}

pub fn drive(data: &[u8]) {
    let src = SliceSource(data);
    let Ok((a, _, _)) = session::load(&src, &|| 0.0, &mut |_| {}) else {
        return;
    };
    let addrs: Vec<u64> = sample_objects(&a)
        .into_iter()
        .map(|id| a.heap.objects.value_addr(id))
        .collect();
    let mut s = Session::new("fuzz.dump".into(), a);
    let _ = s.summary();

    let mut tables = vec![
        TableKind::Objects,
        TableKind::Lost,
        TableKind::Classes,
        TableKind::Goroutines,
        TableKind::DomChildren { parent: None },
        TableKind::DomChildren { parent: Some(1) },
        TableKind::Outgoing { addr: u64::MAX },
    ];
    for &addr in &addrs {
        tables.push(TableKind::DomChildren { parent: Some(addr) });
        tables.push(TableKind::Outgoing { addr });
        tables.push(TableKind::Incoming { addr });
    }
    let filters = [
        "",
        "main",
        "=noscan 16 B",
        "0x",
        "0xffffffffffffffffff",
        "é",
        " ",
    ];
    for table in &tables {
        for &(key, _, _) in columns(table) {
            for desc in [false, true] {
                s.handle(&page(table, 0, 50, SortSpec::new(key, desc), ""), &src);
            }
        }
        let sort = default_sort(table);
        for filter in filters {
            s.handle(&page(table, 0, 1000, sort.clone(), filter), &src);
        }
        for &addr in addrs.iter().take(2) {
            let f = format!("0x{addr:x}");
            s.handle(&page(table, 0, 10, sort.clone(), &f), &src);
        }
        s.handle(&page(table, u32::MAX, u32::MAX, sort.clone(), ""), &src);
        s.handle(
            &page(table, 7, 0, SortSpec::new("nonsense", true), ""),
            &src,
        );
        for format in [ExportFormat::Csv, ExportFormat::Json] {
            let _ = s.export(table, &sort, "", format);
        }
    }

    let mut probes = addrs.clone();
    probes.extend([0, 1, u64::MAX]);
    probes.extend(addrs.iter().map(|a| a.wrapping_add(1)));
    for &addr in &probes {
        s.handle(&Request::Object { addr }, &src);
        for (offset, len) in [(0, 64 << 10), (8, 3), (u64::MAX, u32::MAX), (1 << 40, 16)] {
            s.handle(&Request::Contents { addr, offset, len }, &src);
        }
        for excluded in [vec![], vec![addr], probes.clone()] {
            s.handle(
                &Request::Retainers {
                    addr,
                    max_paths: 10,
                    excluded,
                },
                &src,
            );
        }
        s.handle(
            &Request::Retainers {
                addr,
                max_paths: u32::MAX,
                excluded: vec![u64::MAX],
            },
            &src,
        );
    }
    s.handle(&Request::Findings, &src);
    for drill in [false, true] {
        s.handle(&Request::Treemap { cells: 40, drill }, &src);
    }
    s.handle(&Request::Diff, &src);
    s.handle(&Request::Pprof, &src);
    if let Response::Flame(v) = s.handle(&Request::Flame, &src) {
        for (i, n) in v.nodes.iter().enumerate() {
            assert!(
                n.parent == u32::MAX || (n.parent as usize) < i,
                "a flame node before its parent"
            );
            assert!(
                n.cum_bytes >= n.self_bytes,
                "a flame node narrower than itself"
            );
        }
    }
    assert!(!s.pprof().is_empty(), "an empty pprof profile");

    // Compared with itself, then the comparison taken apart again.
    if let Ok((b, _, _)) = session::load(&src, &|| 0.0, &mut |_| {}) {
        s.add_baseline("again.dump".into(), b);
        s.handle(&Request::Diff, &src);
        let _ = s.compare_dumps();
        for index in [5, 1, 0, 0] {
            s.handle(&Request::RemoveCompare { index }, &src);
        }
    }
    s.handle(&Request::Diff, &src);
}
