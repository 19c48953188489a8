//! `Sensitive<T>`: a value that must never be printed, serialised or logged.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret value (a token, a client secret) that cannot leak by accident.
///
/// - `Debug` and `Display` print `Sensitive(<redacted>)`, so a `{:?}` of any struct holding
///   one, a `tracing` field or a panic message never shows the secret.
/// - It does not implement `serde::Serialize` (nor `Deserialize`), so it cannot reach the
///   webview, the database or a JSON log line through serde; the vault stores it through its own
///   private format. This is checked at compile time:
///
/// ```compile_fail
/// fn needs_serialize<T: serde::Serialize>() {}
/// needs_serialize::<secrets::Sensitive<String>>();
/// ```
///
/// The same check passes for the plain value, which shows the failure above is the missing impl
/// and not a typo:
///
/// ```
/// fn needs_serialize<T: serde::Serialize>() {}
/// needs_serialize::<String>();
/// ```
///
/// - The value is reachable only through [`Sensitive::expose`], which makes every use easy to
///   find in review.
/// - On drop, the value's memory is overwritten with zeros (through [`Zeroize`]), so a freed
///   token does not linger in the heap.
/// - Equality on byte-like values (`String`, `Vec<u8>`) runs in constant time, so comparing a
///   secret does not reveal how many leading bytes matched.
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Gives read access to the secret. Every caller is a place where the secret leaves the
    /// wrapper: it must go only to the keyring or to Intuit, never to a log, the UI or the store.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Sensitive<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// The text printed in place of a secret, in both `Debug` and `Display`.
const REDACTED: &str = "Sensitive(<redacted>)";

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

/// Constant-time in the content (the length is not secret: a different length is unequal at
/// once), so that a comparison's timing does not reveal a matching prefix.
impl<T: Zeroize + AsRef<[u8]>> PartialEq for Sensitive<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

impl<T: Zeroize + AsRef<[u8]>> Eq for Sensitive<T> {}

#[cfg(test)]
mod tests {
    use super::Sensitive;

    #[test]
    fn equality_compares_the_content() {
        let token = Sensitive::new(String::from("abc"));
        assert_eq!(token, Sensitive::new(String::from("abc")));
        assert_ne!(token, Sensitive::new(String::from("abd")));
        assert_ne!(token, Sensitive::new(String::from("ab")));
        assert_eq!(
            Sensitive::new(vec![1_u8, 2, 3]),
            Sensitive::new(vec![1_u8, 2, 3])
        );
    }
}
