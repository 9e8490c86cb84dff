//! (c) again, on inputs that always decode: the bytes describe a small heap (objects,
//! pointers, roots, goroutines, finalizers, profiles) written with `DumpWriter`, so every
//! run exercises the graph analyses and the dominator oracle.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dump = dumpscope_fuzz::graph::dump_from(data);
    dumpscope_fuzz::checks::check_analysis(&dump);
});
