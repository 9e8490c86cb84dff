//! (b) The decoder on randomly chunked input: the same records and the same error as
//! one-shot decoding. The first 8 bytes choose the chunk sizes; the rest is the dump.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (plan, dump) = data.split_at(8);
    dumpscope_fuzz::checks::check_chunking(dump, plan.try_into().unwrap());
});
