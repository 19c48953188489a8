//! Arbitrary bytes as a PDF file and as a PDF's extracted text: neither reader
//! may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statements::pdf::{lines_from_text, parse_pdf};

fuzz_target!(|data: &[u8]| {
    let _ = parse_pdf(data);
    let _ = lines_from_text(&String::from_utf8_lossy(data));
});
