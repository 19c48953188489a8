//! Signed tokens the relay hands out and later trusts again without storing
//! them: the OAuth `state` (bound to the app's PKCE challenge) and the
//! subscription token (bound to a realm).
//!
//! A token is `base64url(JSON payload) "." base64url(HMAC-SHA256(key,
//! payload))`. Each payload names its purpose, so a state can never pass as
//! a subscription or the reverse. Times are Unix seconds given by the
//! caller, so the rules can be tested without a clock.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// How long a connect `state` is accepted.
pub const STATE_LIFETIME_SECS: i64 = 10 * 60;
/// How long a subscription token is accepted.
pub const SUBSCRIPTION_LIFETIME_SECS: i64 = 24 * 3600;

/// The HMAC key; cheap to clone.
#[derive(Clone)]
pub struct SigningKey(std::sync::Arc<[u8]>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SigningKey(redacted)")
    }
}

/// Why a signed token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not two base64url parts, or the payload is not the expected JSON.
    #[error("the token is malformed")]
    Malformed,
    /// The signature does not match: forged or signed with another key.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// Signed for another purpose.
    #[error("the token is not meant for this")]
    WrongPurpose,
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
}

/// What the relay's `state` carries through Intuit's consent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectState {
    /// The app's loopback URL.
    pub redirect_uri: String,
    /// base64url(SHA-256(code_verifier)).
    pub code_challenge: String,
    /// The app's own opaque state, handed back on the redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_state: Option<String>,
    /// Unix seconds.
    pub exp: i64,
    /// Makes every state unique.
    pub nonce: String,
    /// base64url(SHA-256(code)) of the code Intuit returned with this
    /// state: set by the callback, so a code can only be exchanged with the
    /// state (and so the verifier) of the connect attempt it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
}

/// What a subscription token grants: the events of one realm until `exp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The realm whose events may be read.
    pub realm_id: String,
    /// Unix seconds.
    pub exp: i64,
}

/// The signed payload. The body is nested rather than flattened: serde's
/// flatten does not read numbers back under serde_json's
/// `arbitrary_precision`, which the workspace enables.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    purpose: String,
    body: T,
}

const STATE_PURPOSE: &str = "connect-state";
const SUBSCRIPTION_PURPOSE: &str = "subscription";

impl SigningKey {
    /// A key from raw bytes.
    pub fn new(bytes: &[u8]) -> SigningKey {
        SigningKey(bytes.into())
    }

    /// HMAC accepts keys of every length, so this is always `Some`; the
    /// option keeps the code free of panics all the same.
    fn mac(&self, payload: &[u8]) -> Option<Hmac<Sha256>> {
        Hmac::<Sha256>::new_from_slice(&self.0)
            .ok()
            .map(|mac| mac.chain_update(payload))
    }

    fn sign<T: Serialize>(&self, purpose: &str, body: T) -> String {
        let envelope = Envelope {
            purpose: purpose.to_owned(),
            body,
        };
        let payload = serde_json::to_vec(&envelope).unwrap_or_default();
        let encoded = URL_SAFE_NO_PAD.encode(&payload);
        let signature = self
            .mac(encoded.as_bytes())
            .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{encoded}.{signature}")
    }

    fn open<T: for<'de> Deserialize<'de>>(
        &self,
        purpose: &str,
        token: &str,
    ) -> Result<T, TokenError> {
        let (encoded, signature) = token.trim().split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(encoded.as_bytes())
            .ok_or(TokenError::BadSignature)?
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| TokenError::Malformed)?;
        // The purpose is checked before the body is read as `T`, so a
        // token of another kind is named as such, not as malformed.
        let envelope: Envelope<serde_json::Value> =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if envelope.purpose != purpose {
            return Err(TokenError::WrongPurpose);
        }
        serde_json::from_value(envelope.body).map_err(|_| TokenError::Malformed)
    }

    /// Signs a connect state.
    pub fn sign_state(&self, state: &ConnectState) -> String {
        self.sign(STATE_PURPOSE, state)
    }

    /// Opens a connect state signed by this key that has not expired at `now`.
    pub fn open_state(&self, token: &str, now: i64) -> Result<ConnectState, TokenError> {
        let state: ConnectState = self.open(STATE_PURPOSE, token)?;
        if now >= state.exp {
            return Err(TokenError::Expired);
        }
        Ok(state)
    }

    /// Signs a subscription.
    pub fn sign_subscription(&self, subscription: &Subscription) -> String {
        self.sign(SUBSCRIPTION_PURPOSE, subscription)
    }

    /// Opens a subscription token signed by this key that has not expired at `now`.
    pub fn open_subscription(&self, token: &str, now: i64) -> Result<Subscription, TokenError> {
        let subscription: Subscription = self.open(SUBSCRIPTION_PURPOSE, token)?;
        if now >= subscription.exp {
            return Err(TokenError::Expired);
        }
        Ok(subscription)
    }
}

/// The S256 challenge of a PKCE verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// base64url(SHA-256(code)), as kept in [`ConnectState::code_hash`].
pub fn code_hash(code: &str) -> String {
    pkce_challenge(code)
}

/// Whether `verifier` hashes to `challenge`, compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    pkce_challenge(verifier)
        .as_bytes()
        .ct_eq(challenge.as_bytes())
        .into()
}

/// Whether `text` is a well-formed RFC 7636 code verifier: 43 to 128
/// characters of `A-Z a-z 0-9 - . _ ~`.
pub fn is_valid_verifier(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `text` looks like an S256 challenge: 43 base64url characters.
pub fn is_valid_challenge(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(exp: i64) -> ConnectState {
        ConnectState {
            redirect_uri: "http://127.0.0.1:5000/cb".to_owned(),
            code_challenge: pkce_challenge("v".repeat(43).as_str()),
            app_state: Some("app".to_owned()),
            exp,
            nonce: "n".to_owned(),
            code_hash: None,
        }
    }

    #[test]
    fn state_round_trips_and_expires() {
        let key = SigningKey::new(&[7; 32]);
        let token = key.sign_state(&state(100));
        assert_eq!(key.open_state(&token, 99), Ok(state(100)));
        assert_eq!(key.open_state(&token, 100), Err(TokenError::Expired));
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let key = SigningKey::new(&[7; 32]);
        let other = SigningKey::new(&[8; 32]);
        let token = key.sign_state(&state(100));
        assert_eq!(other.open_state(&token, 0), Err(TokenError::BadSignature));
        // A payload changed after signing.
        let (_, signature) = token.split_once('.').unwrap();
        let mut changed = state(100);
        changed.redirect_uri = "http://127.0.0.1:6666/steal".to_owned();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Envelope {
                purpose: STATE_PURPOSE.to_owned(),
                body: changed,
            })
            .unwrap(),
        );
        assert_eq!(
            key.open_state(&format!("{forged_payload}.{signature}"), 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(key.open_state("garbage", 0), Err(TokenError::Malformed));
        // A subscription is not a state, and the reverse.
        let subscription = key.sign_subscription(&Subscription {
            realm_id: "1".to_owned(),
            exp: 100,
        });
        assert_eq!(
            key.open_state(&subscription, 0),
            Err(TokenError::WrongPurpose)
        );
        assert_eq!(
            key.open_subscription(&token, 0),
            Err(TokenError::WrongPurpose)
        );
    }

    #[test]
    fn pkce_follows_rfc_7636() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            pkce_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "x",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(is_valid_verifier(verifier));
        assert!(!is_valid_verifier("short"));
        assert!(is_valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="
        ));
    }
}
