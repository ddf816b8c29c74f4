//! Output depends only on the input: generating the same case twice (through separately built
//! readers) gives identical files, or identical diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triad_fuzz::Case;

fuzz_target!(|data: &[u8]| {
    let Some(case) = Case::from_bytes(data) else { return };
    let first = case.generate();
    let second = case.generate();
    assert_eq!(first, second, "two runs on the same input differ");
});
