//! (a) The decoder on the whole input: never panics, errors stay inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dumpscope_fuzz::checks::check_decode(data);
});
