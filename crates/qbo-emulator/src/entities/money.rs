//! Exact decimal arithmetic over JSON numbers.
//!
//! serde_json keeps numbers as their original text (`arbitrary_precision`), so
//! amounts are read into [`Decimal`] without ever passing through a float, and
//! written back as JSON numbers from the decimal's text.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Number, Value};

use crate::fault::Fault;

/// Reads a JSON number (or a numeric string, which QBO also accepts) exactly.
pub fn parse_decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// Reads an optional amount field; a present but non-numeric value is a 2090 fault.
pub fn amount_field(doc: &Map<String, Value>, key: &str) -> Result<Option<Decimal>, Fault> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => parse_decimal(value)
            .map(Some)
            .ok_or_else(|| Fault::invalid_value(key, format!("{value} is not a number"))),
    }
}

/// A JSON number with the decimal's value, trailing zeros removed
/// (QBO writes `100.0`, `25`, `337.5`; all compare equal to ours).
pub fn to_json(amount: Decimal) -> Value {
    let text = amount.normalize().to_string();
    match Number::from_str(&text) {
        Ok(number) => Value::Number(number),
        // A decimal's text is always a valid JSON number; keep the text otherwise.
        Err(_) => Value::String(text),
    }
}

/// Rounds to cents, half away from zero, as money amounts are.
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_numbers_and_numeric_strings_exactly() {
        let value: Value = serde_json::from_str("0.1").unwrap();
        assert_eq!(parse_decimal(&value), Some(Decimal::new(1, 1)));
        assert_eq!(parse_decimal(&json!("12.50")), Some(Decimal::new(1250, 2)));
        assert_eq!(parse_decimal(&json!(true)), None);
    }

    #[test]
    fn writes_without_trailing_zeros() {
        assert_eq!(to_json(Decimal::new(10000, 2)).to_string(), "100");
        assert_eq!(to_json(Decimal::new(3375, 1)).to_string(), "337.5");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(Decimal::new(1005, 3)), Decimal::new(101, 2));
        assert_eq!(round_cents(Decimal::new(-1005, 3)), Decimal::new(-101, 2));
    }
}
