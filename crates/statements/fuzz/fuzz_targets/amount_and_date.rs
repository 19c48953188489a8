//! Arbitrary text as an amount, a date and an OFX date: no panic, and an amount
//! that reads is never negative zero.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statements::text::{DateOrder, parse_amount, parse_date};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for separator in [None, Some(statements::text::DecimalSeparator::Point), Some(statements::text::DecimalSeparator::Comma)] {
        if let Ok(amount) = parse_amount(&text, separator) {
            assert!(!(amount.is_zero() && amount.is_sign_negative()));
        }
    }
    for order in [DateOrder::YearMonthDay, DateOrder::DayMonthYear, DateOrder::MonthDayYear] {
        let _ = parse_date(&text, order);
    }
    let _ = statements::ofx::ofx_date(&text);
});
