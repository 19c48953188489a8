//! Amounts cross to the front ends as exact decimal text.
//!
//! A record's JSON keeps every amount as a JSON number with QuickBooks'
//! digits. A webview reads a JSON number into a JavaScript `Number`, a
//! float, and a script in most languages does the same, so "100.10" comes
//! back as 100.1 and "12345678901234567.89" as 12345678901234568. The views
//! of a record therefore write every decimal member (amounts, quantities,
//! prices, rates: the schema's decimal elements) as a string of its digits,
//! and what a front end sends back is read the other way: a decimal member
//! given as text becomes a JSON number with exactly those digits. A member
//! the user did not touch returns byte for byte.

use std::str::FromStr;

use qbo_client::model::fields::is_decimal;
use serde::Serializer;
use serde_json::{Map, Number, Value};

use crate::error::CoreError;

/// A copy of `value` with every decimal member's number written as text.
pub fn amounts_as_text(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| {
                    let converted = match member {
                        Value::Number(number) if is_decimal(key) => {
                            Value::String(number.to_string())
                        }
                        other => amounts_as_text(other),
                    };
                    (key.clone(), converted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(amounts_as_text).collect()),
        other => other.clone(),
    }
}

/// One member's value as text when it is a decimal member (a conflicting
/// field's value, without its object around it): `path` is the field's
/// path, e.g. `Line[Id=2].Amount`.
pub fn member_as_text(path: &str, value: Value) -> Value {
    match value {
        Value::Number(number) if is_decimal(last_key(path)) => Value::String(number.to_string()),
        other => amounts_as_text(&other),
    }
}

/// `value` with every decimal member given as text turned back into a JSON
/// number with the same digits. Numbers stay as they are. Text that is not
/// a number is refused with the member's path rather than stored.
pub fn amounts_as_numbers(value: Value) -> Result<Value, CoreError> {
    convert(value, "")
}

/// One member's value, as `amounts_as_numbers` reads it, for a value sent
/// without its object (a typed conflict value): `path` is the field's path,
/// e.g. `Line[Id=2].Amount`.
pub fn member_as_number(path: &str, value: Value) -> Result<Value, CoreError> {
    match value {
        Value::String(text) if is_decimal(last_key(path)) => number_from_text(path, &text),
        other => convert(other, path),
    }
}

fn convert(value: Value, path: &str) -> Result<Value, CoreError> {
    match value {
        Value::Object(members) => {
            let mut converted = Map::with_capacity(members.len());
            for (key, member) in members {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let member = match member {
                    Value::String(text) if is_decimal(&key) => number_from_text(&at, &text)?,
                    other => convert(other, &at)?,
                };
                converted.insert(key, member);
            }
            Ok(Value::Object(converted))
        }
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| convert(item, &format!("{path}[{}]", index + 1)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other),
    }
}

/// A JSON number with exactly the digits of `text` (serde_json keeps the
/// text of a number as written).
fn number_from_text(path: &str, text: &str) -> Result<Value, CoreError> {
    let trimmed = text.trim();
    match Number::from_str(trimmed) {
        Ok(number) if is_plain_decimal(trimmed) => Ok(Value::Number(number)),
        _ => Err(CoreError::Invalid(format!(
            "{path} must be a number written with a dot for the decimals, e.g. 1250.50, not \"{text}\"."
        ))),
    }
}

/// Digits with an optional sign and decimals: JSON's exponent forms are not
/// how an amount is written.
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// Whether the field at `path` (`Line[Id=2].Amount`) holds an exact decimal.
pub fn is_decimal_path(path: &str) -> bool {
    is_decimal(last_key(path))
}

/// The member a path ends in: `Amount` for `Line[Id=2].Amount`.
fn last_key(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last)
}

/// Serialises an optional record version with its amounts as text (for
/// `#[serde(serialize_with)]` on the views' JSON members).
pub(crate) fn serialize_as_text<S: Serializer>(
    value: &Option<Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_some(&amounts_as_text(value)),
        None => serializer.serialize_none(),
    }
}
