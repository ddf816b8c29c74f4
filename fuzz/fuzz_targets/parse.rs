//! Arbitrary bytes through the YAML/JSON parser. `node::parse` takes text, so bytes that are
//! not UTF-8 are decoded lossily (as a reader that replaces bad sequences would). Every error's
//! position must lie inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triad::node;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(errors) = node::parse(&text) {
        for e in errors {
            triad_fuzz::check_position(&text, e.line, e.column, &e.message, &e.message);
        }
    }
});
