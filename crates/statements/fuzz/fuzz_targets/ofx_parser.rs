//! Arbitrary bytes as an OFX or QFX file: the reader must not panic, and every
//! line it returns has its dedup key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statements::dedup::dedup_keys;
use statements::ofx::parse_ofx;

fuzz_target!(|data: &[u8]| {
    if let Ok(statements) = parse_ofx(data) {
        for statement in statements {
            assert_eq!(dedup_keys("fuzz", &statement.lines).len(), statement.lines.len());
        }
    }
});
