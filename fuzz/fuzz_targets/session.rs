//! The engine's session (the web worker's and `dumpscope serve`'s) on anything that
//! decodes: every request the UI can send (pages of each table with each sort and filter,
//! object details, contents, retainers, findings, compare, export) answers without
//! panicking: a panic there kills the page's analysis.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dumpscope_fuzz::session::drive(data);
});
