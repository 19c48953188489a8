//! Arbitrary bytes as a CSV export: detection and reading must not panic, and a
//! detected mapping read again gives the same lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statements::csv_import::{parse_detected, parse_with};

fuzz_target!(|data: &[u8]| {
    if let Ok(import) = parse_detected(data) {
        let again = parse_with(data, &import.mapping).map(|again| again.statement.lines);
        assert_eq!(again, Ok(import.statement.lines));
    }
});
