//! (c) Full analysis of anything that decodes, with its invariants checked: reachability,
//! retained sizes, dominators against a naive oracle (small graphs), retainer paths,
//! classes, leak findings, report rows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dumpscope_fuzz::checks::check_analysis(data);
});
