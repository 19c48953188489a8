//! Arbitrary bytes as a QBO fault body: the parser and the classification
//! under every kind of status must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbo_client::error::{classify_fault, error_from_response, parse_fault_body};

fuzz_target!(|data: &[u8]| {
    if let Ok(fault) = parse_fault_body(data) {
        let _ = classify_fault(400, &fault, None, None);
    }
    for status in [200, 400, 401, 403, 429, 500, 503] {
        let _ = error_from_response(status, data, Some("tid"), None);
    }
});
