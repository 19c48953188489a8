//! Arbitrary bytes through the relay's webhook path: the signature check
//! (with the input split into a verifier, a header and a body) and the
//! delivery parser. Neither may panic; every parsed change must be one the
//! store accepts (non-empty realm, entity, id, operation and time), and a
//! body signed with its own verifier must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::webhooks::{parse_delivery, sign, verify_signature};

fuzz_target!(|data: &[u8]| {
    if let Ok(changes) = parse_delivery(data) {
        for change in changes {
            assert!(!change.realm_id.is_empty());
            assert!(!change.entity.is_empty());
            assert!(!change.entity_id.is_empty());
            assert!(!change.operation.is_empty());
            assert!(!change.last_updated.is_empty());
            assert!(!change.dedupe_key.is_empty());
        }
    }
    let (verifier, rest) = data.split_at(data.len().min(16));
    let (header, body) = rest.split_at(rest.len().min(44));
    let header = String::from_utf8_lossy(header);
    let _ = verify_signature(verifier, body, &header);
    let signature = sign(verifier, body);
    assert!(verify_signature(verifier, body, &signature));
});
