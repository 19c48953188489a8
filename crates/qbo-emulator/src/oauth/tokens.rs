//! The strings the token server hands out, shaped like Intuit's, and the
//! RS256 signer behind the OpenID id_token and the JWKS document.
//!
//! Every value is random and opaque: nothing in the emulator parses a token
//! back, it only looks it up. The shapes follow the recorded Intuit response
//! in samples/oauth-refresh.json so that a client which stores tokens in a
//! fixed-width column, or logs a prefix of them, meets realistic lengths.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use sha2::{Digest as _, Sha256};

/// Intuit's access tokens are compact JWEs with direct encryption; the
/// header is always this one, so every access token starts with the same
/// 47 characters, as real ones do.
const ACCESS_TOKEN_HEADER: &str = r#"{"enc":"A128CBC-HS256","alg":"dir"}"#;

/// Ciphertext length of the recorded access token (416 bytes, 26 AES
/// blocks), which encodes to the 555 characters seen in the sample.
const ACCESS_TOKEN_CIPHERTEXT_BYTES: usize = 416;

/// A 2048-bit RSA key made for the emulator alone. It is public on purpose:
/// id_tokens from the emulator can be validated like Intuit's, and must never
/// be trusted outside tests and the demo.
const SIGNING_KEY_PKCS8: &[u8] = include_bytes!("id-token-signing-key.pk8");

/// A fresh access token: `header..iv.ciphertext.tag`, 650 characters.
pub(crate) fn new_access_token() -> String {
    let header = URL_SAFE_NO_PAD.encode(ACCESS_TOKEN_HEADER);
    let initialisation_vector = URL_SAFE_NO_PAD.encode(random_bytes(16));
    let ciphertext = URL_SAFE_NO_PAD.encode(random_bytes(ACCESS_TOKEN_CIPHERTEXT_BYTES));
    let tag = URL_SAFE_NO_PAD.encode(random_bytes(16));
    format!("{header}..{initialisation_vector}.{ciphertext}.{tag}")
}

/// A fresh refresh token or authorization code: `AB11`, the expiry as
/// ten-digit epoch seconds, then 36 random letters and digits (50 in all),
/// the shape of current Intuit refresh tokens and codes.
pub(crate) fn new_refresh_token(expires_at: DateTime<Utc>) -> String {
    format!(
        "AB11{:010}{}",
        expires_at.timestamp().max(0),
        random_alphanumeric(36)
    )
}

/// The token identifier the API gateway prints in a 3200 fault's detail
/// ("Token expired: AB0…", samples/fault-3200-lowercase-401.json). It is
/// derived from the bearer token so the same token always shows the same
/// identifier without the emulator storing one.
pub(crate) fn gateway_ticket(bearer_token: &str) -> String {
    let digest = Sha256::digest(bearer_token.as_bytes());
    let digits: String = digest
        .iter()
        .take(10)
        .map(|byte| char::from(b'0' + byte % 10))
        .collect();
    let letters: String = URL_SAFE_NO_PAD
        .encode(digest)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(37)
        .collect();
    format!("AB0{digits}{letters}")
}

/// A value for the `intuit_tid` response header: `1-`, the time as eight hex
/// digits, then 24 random hex digits.
pub(crate) fn new_intuit_tid(now: DateTime<Utc>) -> String {
    let random: String = random_bytes(12)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("1-{:08x}-{random}", now.timestamp().max(0))
}

fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = vec![0_u8; count];
    rand::rng().fill(bytes.as_mut_slice());
    bytes
}

fn random_alphanumeric(count: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(count)
        .map(char::from)
        .collect()
}

/// Why an id_token could not be produced.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SigningError {
    #[error("the embedded id_token signing key was rejected: {0}")]
    KeyRejected(String),
    #[error("RSA signing failed")]
    Signing,
    #[error("the claims could not be serialised: {0}")]
    Claims(#[from] serde_json::Error),
}

/// Signs id_tokens with RS256 and publishes the matching public key.
pub(crate) struct IdTokenSigner {
    key_pair: RsaKeyPair,
    random: SystemRandom,
    key_id: String,
    modulus: String,
    exponent: String,
}

impl std::fmt::Debug for IdTokenSigner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdTokenSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl IdTokenSigner {
    /// The signer over the key shipped with the emulator.
    pub(crate) fn embedded() -> Result<Self, SigningError> {
        let key_pair = RsaKeyPair::from_pkcs8(SIGNING_KEY_PKCS8)
            .map_err(|rejected| SigningError::KeyRejected(rejected.to_string()))?;
        let components: PublicKeyComponents<Vec<u8>> = key_pair.public_key().into();
        let modulus = URL_SAFE_NO_PAD.encode(&components.n);
        let exponent = URL_SAFE_NO_PAD.encode(&components.e);
        // Intuit's key ids are 20 URL-safe characters; a digest of the
        // modulus gives one that changes whenever the key does.
        let key_id = URL_SAFE_NO_PAD
            .encode(Sha256::digest(&components.n))
            .chars()
            .take(20)
            .collect();
        Ok(Self {
            key_pair,
            random: SystemRandom::new(),
            key_id,
            modulus,
            exponent,
        })
    }

    /// A compact JWS (`header.payload.signature`) over `claims`, with the
    /// header Intuit uses: `{"kid":…,"alg":"RS256"}`.
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> Result<String, SigningError> {
        let header = serde_json::json!({ "kid": self.key_id, "alg": "RS256" });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
        );
        let mut signature = vec![0_u8; self.key_pair.public().modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &self.random,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| SigningError::Signing)?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The JWKS document, with the members in the order Intuit's has them.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "e": self.exponent,
                "use": "sig",
                "kid": self.key_id,
                "alg": "RS256",
                "n": self.modulus,
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::RSA_PKCS1_2048_8192_SHA256;

    #[test]
    fn access_tokens_have_the_recorded_shape_and_differ() {
        let first = new_access_token();
        let second = new_access_token();
        assert_ne!(first, second);
        let parts: Vec<usize> = first.split('.').map(str::len).collect();
        assert_eq!(parts, vec![47, 0, 22, 555, 22]);
        assert_eq!(first.len(), 650);
        assert!(first.starts_with("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.."));
    }

    #[test]
    fn refresh_tokens_carry_their_expiry_and_are_fifty_characters() {
        let expires_at = DateTime::from_timestamp(1_730_024_136, 0).unwrap_or_default();
        let token = new_refresh_token(expires_at);
        assert_eq!(token.len(), 50);
        assert!(token.starts_with("AB111730024136"), "{token}");
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(token, new_refresh_token(expires_at));
    }

    #[test]
    fn gateway_tickets_are_stable_per_token() {
        let ticket = gateway_ticket("some-token");
        assert_eq!(ticket, gateway_ticket("some-token"));
        assert_ne!(ticket, gateway_ticket("another-token"));
        assert_eq!(ticket.len(), 50);
        assert!(ticket.starts_with("AB0"));
        assert!(ticket[3..13].chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn signed_id_tokens_verify_against_the_published_key() -> Result<(), Box<dyn std::error::Error>>
    {
        let signer = IdTokenSigner::embedded()?;
        let token = signer.sign(&serde_json::json!({ "sub": "someone", "iat": 1 }))?;
        let (signing_input, signature) = token.rsplit_once('.').ok_or("no signature part")?;
        let jwks = signer.jwks();
        let key = &jwks["keys"][0];
        let modulus = URL_SAFE_NO_PAD.decode(key["n"].as_str().ok_or("no n")?)?;
        let exponent = URL_SAFE_NO_PAD.decode(key["e"].as_str().ok_or("no e")?)?;
        assert_eq!(key["e"], "AQAB");
        assert_eq!(key["kid"].as_str().map(str::len), Some(20));
        let public_key = PublicKeyComponents {
            n: modulus,
            e: exponent,
        };
        public_key
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signing_input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature)?,
            )
            .map_err(|_| "signature does not verify")?;
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD.decode(signing_input.split('.').next().ok_or("no header")?)?,
        )?;
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], key["kid"]);
        Ok(())
    }
}
