//! Arbitrary bytes through the loader's decoding and both parsers: UTF-8 is checked first
//! (with a position for bad bytes), then the text is parsed as YAML and as JSON. Every error's
//! position must lie inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triad::node::{self, Format, ParseLimits};

fuzz_target!(|data: &[u8]| {
    let text = match node::decode_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            let valid = String::from_utf8_lossy(data);
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert!(e.line as usize <= valid.lines().count().max(1) + 1, "{e:?}");
            return;
        }
    };
    for format in [Format::Yaml, Format::Json] {
        if let Err(errors) = node::parse_with(text, format, &ParseLimits::default()) {
            for e in errors {
                triad_fuzz::check_position(text, e.line, e.column, &e.message, &e.message);
            }
        }
    }
});
