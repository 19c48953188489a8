//! Arbitrary bytes through the webhook receiver's path: the signature check
//! (with the input split into a token, a header and a body) and the
//! notification parser. Neither may panic; a body signed with its own token
//! must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbo_client::webhooks::{parse_notification, sign, verify_signature};

fuzz_target!(|data: &[u8]| {
    let _ = parse_notification(data);
    let (token, rest) = data.split_at(data.len().min(16));
    let (header, body) = rest.split_at(rest.len().min(44));
    let header = String::from_utf8_lossy(header);
    let _ = verify_signature(token, body, &header);
    let signature = sign(token, body);
    assert_eq!(verify_signature(token, body, &signature), Ok(()));
});
