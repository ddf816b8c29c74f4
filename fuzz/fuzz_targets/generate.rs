//! The whole generator (config parsing, loading, lowering, checks, emission) on a structured
//! API built from the keyword grammar in `src/lib.rs`, or on spec text (`!` + text). It must
//! return files or diagnostics that lie inside the input files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triad_fuzz::Case;

fuzz_target!(|data: &[u8]| {
    let Some(case) = Case::from_bytes(data) else { return };
    if let Err(diags) = case.generate() {
        case.check_diagnostics(&diags);
    }
});
