//! The token server's state machine: registered apps and companies,
//! authorization codes, grants (one per user consent) and the access and
//! refresh tokens issued under them.
//!
//! Everything here takes "now" as an argument, so the rules can be read and
//! tested without a clock or a network in sight.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::tokens::{new_access_token, new_refresh_token};
use super::{AuthFailure, ClientCounters, OAuthConfig, RefreshRotation};

/// The scope that gives access to the Accounting API.
pub(crate) const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";
/// The scope that gives access to the Payments API.
pub(crate) const PAYMENT_SCOPE: &str = "com.intuit.quickbooks.payment";

/// How many issuances pass between two sweeps of dead entries.
const PRUNE_EVERY: u32 = 1_000;

/// An app registered with the emulator (Intuit's "Keys" tab).
#[derive(Debug, Clone)]
pub(crate) struct RegisteredClient {
    pub(crate) secret: String,
    pub(crate) app_name: String,
    pub(crate) redirect_uris: Vec<String>,
}

/// A company the emulated user can pick on the consent page.
#[derive(Debug, Clone)]
pub(crate) struct RegisteredCompany {
    pub(crate) realm_id: String,
    pub(crate) name: String,
}

#[derive(Debug)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    realm_id: Option<String>,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// One user consent: the chain of refresh tokens and the access tokens
/// minted from it. Revoking any of its tokens revokes the whole grant, as
/// disconnecting the app does at Intuit.
#[derive(Debug)]
struct Grant {
    client_id: String,
    realm_id: Option<String>,
    scopes: Vec<String>,
    /// When the user consented: the start of the five-year hard cap and the
    /// id_token's `auth_time`.
    authorized_at: DateTime<Utc>,
    /// The rolling expiry, pushed out on every use of the refresh token.
    refresh_expires_at: DateTime<Utc>,
    current_refresh_token: String,
    current_refresh_issued_at: DateTime<Utc>,
    revoked: bool,
}

impl Grant {
    fn hard_expires_at(&self, config: &OAuthConfig) -> DateTime<Utc> {
        self.authorized_at + config.refresh_token_max_lifetime
    }
}

#[derive(Debug)]
struct RefreshEntry {
    grant_id: u64,
    /// Set once a newer refresh token replaced this one.
    superseded_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct AccessEntry {
    grant_id: u64,
    expires_at: DateTime<Utc>,
}

/// What a successful code exchange or refresh produced; the server turns it
/// into Intuit's JSON (and signs the id_token) outside the lock.
#[derive(Debug, Clone)]
pub(crate) struct IssuedTokens {
    pub(crate) client_id: String,
    pub(crate) realm_id: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) authorized_at: DateTime<Utc>,
    pub(crate) access_token: String,
    pub(crate) access_expires_in: i64,
    pub(crate) refresh_token: String,
    pub(crate) refresh_expires_in: i64,
    pub(crate) refresh_hard_expires_in: i64,
}

/// A token-endpoint failure in OAuth terms; the endpoint renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrantError {
    pub(crate) description: &'static str,
}

impl GrantError {
    const INVALID: Self = Self {
        description: "Token invalid",
    };
    const EXPIRED_OR_REVOKED: Self = Self {
        description: "Token has been expired or revoked.",
    };
    const WRONG_CLIENT: Self = Self {
        description: "Incorrect Token type or clientID",
    };
    const WRONG_REDIRECT: Self = Self {
        description: "Incorrect redirect_uri",
    };
}

/// The live state of the user behind a valid access token, for userinfo.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub(crate) scopes: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) config: OAuthConfig,
    pub(crate) base_url: Option<String>,
    clients: HashMap<String, RegisteredClient>,
    companies: Vec<RegisteredCompany>,
    codes: HashMap<String, PendingCode>,
    grants: HashMap<u64, Grant>,
    next_grant_id: u64,
    refresh_tokens: HashMap<String, RefreshEntry>,
    access_tokens: HashMap<String, AccessEntry>,
    counters: HashMap<String, ClientCounters>,
    issued_since_prune: u32,
}

impl Store {
    pub(crate) fn new(config: OAuthConfig) -> Self {
        Self {
            config,
            base_url: None,
            clients: HashMap::new(),
            companies: Vec::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            next_grant_id: 1,
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            counters: HashMap::new(),
            issued_since_prune: 0,
        }
    }

    pub(crate) fn register_client(&mut self, client_id: &str, client: RegisteredClient) {
        self.clients.insert(client_id.to_owned(), client);
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&RegisteredClient> {
        self.clients.get(client_id)
    }

    /// Registers a company, or renames it when the realm is already known,
    /// keeping the order in which companies first appeared.
    pub(crate) fn register_company(&mut self, realm_id: &str, name: &str) {
        match self
            .companies
            .iter_mut()
            .find(|company| company.realm_id == realm_id)
        {
            Some(company) => name.clone_into(&mut company.name),
            None => self.companies.push(RegisteredCompany {
                realm_id: realm_id.to_owned(),
                name: name.to_owned(),
            }),
        }
    }

    pub(crate) fn companies(&self) -> &[RegisteredCompany] {
        &self.companies
    }

    pub(crate) fn counters_mut(&mut self, client_id: &str) -> &mut ClientCounters {
        self.counters.entry(client_id.to_owned()).or_default()
    }

    pub(crate) fn counters(&self, client_id: &str) -> ClientCounters {
        self.counters.get(client_id).copied().unwrap_or_default()
    }

    /// Records a user's consent and returns the authorization code.
    pub(crate) fn issue_code(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        realm_id: Option<String>,
        now: DateTime<Utc>,
    ) -> String {
        self.maybe_prune(now);
        let expires_at = now + self.config.authorization_code_lifetime;
        let code = new_refresh_token(expires_at);
        self.codes.insert(
            code.clone(),
            PendingCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                realm_id,
                issued_at: now,
                expires_at,
                used: false,
            },
        );
        self.counters_mut(client_id).authorizations += 1;
        code
    }

    /// The authorization_code grant. Codes are single-use: a second exchange
    /// fails even when the first one succeeded.
    pub(crate) fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, GrantError> {
        let pending = self.codes.get_mut(code).ok_or(GrantError::INVALID)?;
        if pending.client_id != client_id {
            return Err(GrantError::WRONG_CLIENT);
        }
        if pending.used {
            return Err(GrantError::INVALID);
        }
        if now >= pending.expires_at {
            return Err(GrantError::EXPIRED_OR_REVOKED);
        }
        if pending.redirect_uri != redirect_uri {
            return Err(GrantError::WRONG_REDIRECT);
        }
        pending.used = true;
        let scopes = pending.scopes.clone();
        let realm_id = pending.realm_id.clone();
        let authorized_at = pending.issued_at;
        self.counters_mut(client_id).code_exchanges += 1;
        Ok(self.create_grant(client_id, realm_id, scopes, authorized_at, now))
    }

    /// Starts a grant as if the user had just consented; used by the code
    /// exchange and by `mint_tokens`.
    pub(crate) fn create_grant(
        &mut self,
        client_id: &str,
        realm_id: Option<String>,
        scopes: Vec<String>,
        authorized_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> IssuedTokens {
        self.maybe_prune(now);
        let grant_id = self.next_grant_id;
        self.next_grant_id += 1;
        let hard_expires_at = authorized_at + self.config.refresh_token_max_lifetime;
        let refresh_expires_at = (now + self.config.refresh_token_lifetime).min(hard_expires_at);
        let refresh_token = new_refresh_token(refresh_expires_at);
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshEntry {
                grant_id,
                superseded_at: None,
            },
        );
        self.grants.insert(
            grant_id,
            Grant {
                client_id: client_id.to_owned(),
                realm_id,
                scopes,
                authorized_at,
                refresh_expires_at,
                current_refresh_token: refresh_token,
                current_refresh_issued_at: now,
                revoked: false,
            },
        );
        self.issue_access(grant_id, now)
    }

    /// The refresh_token grant, with Intuit's rolling expiry, five-year cap,
    /// rotation and the grace period for superseded values.
    pub(crate) fn refresh(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, GrantError> {
        let outcome = self.refresh_inner(client_id, refresh_token, now);
        let counters = self.counters_mut(client_id);
        match outcome {
            Ok(_) => counters.refreshes_served += 1,
            Err(_) => counters.refreshes_rejected += 1,
        }
        outcome
    }

    fn refresh_inner(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, GrantError> {
        let entry = self
            .refresh_tokens
            .get(refresh_token)
            .ok_or(GrantError::INVALID)?;
        let grant_id = entry.grant_id;
        let superseded_at = entry.superseded_at;
        let config = &self.config;
        let grant = self.grants.get_mut(&grant_id).ok_or(GrantError::INVALID)?;
        if grant.client_id != client_id {
            return Err(GrantError::WRONG_CLIENT);
        }
        let hard_expires_at = grant.hard_expires_at(config);
        if grant.revoked || now >= grant.refresh_expires_at || now >= hard_expires_at {
            return Err(GrantError::EXPIRED_OR_REVOKED);
        }
        if let Some(superseded_at) = superseded_at {
            // Within the grace period the old value still works and answers
            // with the current one, so a client that lost the newer value
            // (crash before persisting, a racing process) catches up.
            if now >= superseded_at + config.superseded_refresh_grace {
                return Err(GrantError::INVALID);
            }
        } else {
            let rotate = match config.refresh_rotation {
                RefreshRotation::EveryRefresh => true,
                RefreshRotation::After(age) => now - grant.current_refresh_issued_at >= age,
                RefreshRotation::Never => false,
            };
            if rotate {
                let replacement =
                    new_refresh_token((now + config.refresh_token_lifetime).min(hard_expires_at));
                let previous =
                    std::mem::replace(&mut grant.current_refresh_token, replacement.clone());
                grant.current_refresh_issued_at = now;
                if let Some(previous_entry) = self.refresh_tokens.get_mut(&previous) {
                    previous_entry.superseded_at = Some(now);
                }
                self.refresh_tokens.insert(
                    replacement,
                    RefreshEntry {
                        grant_id,
                        superseded_at: None,
                    },
                );
            }
        }
        if let Some(grant) = self.grants.get_mut(&grant_id) {
            grant.refresh_expires_at =
                (now + self.config.refresh_token_lifetime).min(hard_expires_at);
        }
        Ok(self.issue_access(grant_id, now))
    }

    fn issue_access(&mut self, grant_id: u64, now: DateTime<Utc>) -> IssuedTokens {
        let access_token = new_access_token();
        let access_expires_at = now + self.config.access_token_lifetime;
        self.access_tokens.insert(
            access_token.clone(),
            AccessEntry {
                grant_id,
                expires_at: access_expires_at,
            },
        );
        self.issued_since_prune += 1;
        let config = &self.config;
        match self.grants.get(&grant_id) {
            Some(grant) => IssuedTokens {
                client_id: grant.client_id.clone(),
                realm_id: grant.realm_id.clone(),
                scopes: grant.scopes.clone(),
                authorized_at: grant.authorized_at,
                access_token,
                access_expires_in: (access_expires_at - now).num_seconds(),
                refresh_token: grant.current_refresh_token.clone(),
                refresh_expires_in: (grant.refresh_expires_at - now).num_seconds(),
                refresh_hard_expires_in: (grant.hard_expires_at(config) - now).num_seconds(),
            },
            // Unreachable in practice: callers pass the id of a grant they
            // just looked up or created, under the same lock.
            None => IssuedTokens {
                client_id: String::new(),
                realm_id: None,
                scopes: Vec::new(),
                authorized_at: now,
                access_token,
                access_expires_in: 0,
                refresh_token: String::new(),
                refresh_expires_in: 0,
                refresh_hard_expires_in: 0,
            },
        }
    }

    /// Checks a bearer token for an API call on `realm_id`.
    pub(crate) fn authenticate(
        &self,
        access_token: &str,
        realm_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthFailure> {
        let grant = self.live_access(access_token, now)?;
        let authorized_for_api = grant.scopes.iter().any(|scope| scope == ACCOUNTING_SCOPE);
        if grant.realm_id.as_deref() != Some(realm_id) || !authorized_for_api {
            return Err(AuthFailure::WrongRealm);
        }
        Ok(())
    }

    /// The grant behind a valid access token, for userinfo.
    pub(crate) fn access_grant(
        &self,
        access_token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessGrant, AuthFailure> {
        self.live_access(access_token, now)
            .map(|grant| AccessGrant {
                scopes: grant.scopes.clone(),
            })
    }

    fn live_access(&self, access_token: &str, now: DateTime<Utc>) -> Result<&Grant, AuthFailure> {
        let entry = self
            .access_tokens
            .get(access_token)
            .ok_or(AuthFailure::Unknown)?;
        let grant = self
            .grants
            .get(&entry.grant_id)
            .ok_or(AuthFailure::Unknown)?;
        if grant.revoked {
            return Err(AuthFailure::Revoked);
        }
        if now >= entry.expires_at {
            return Err(AuthFailure::Expired);
        }
        Ok(grant)
    }

    /// Revokes the grant behind a refresh or access token. `Ok(false)` means
    /// the token is unknown, which RFC 7009 treats as success.
    pub(crate) fn revoke(&mut self, client_id: &str, token: &str) -> Result<bool, GrantError> {
        let grant_id = match (
            self.refresh_tokens.get(token),
            self.access_tokens.get(token),
        ) {
            (Some(entry), _) => entry.grant_id,
            (None, Some(entry)) => entry.grant_id,
            (None, None) => return Ok(false),
        };
        let grant = self.grants.get_mut(&grant_id).ok_or(GrantError::INVALID)?;
        if grant.client_id != client_id {
            return Err(GrantError::WRONG_CLIENT);
        }
        grant.revoked = true;
        self.counters_mut(client_id).revocations += 1;
        Ok(true)
    }

    /// Revokes every grant for a realm, as when the user disconnects the app
    /// inside QuickBooks. Returns how many grants were live.
    pub(crate) fn disconnect_realm(&mut self, realm_id: &str) -> usize {
        let mut revoked = 0;
        for grant in self.grants.values_mut() {
            if !grant.revoked && grant.realm_id.as_deref() == Some(realm_id) {
                grant.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }

    /// Makes live access tokens expire now (all, or one realm's), for tests
    /// of token expiry in the middle of a sync without moving the clock.
    pub(crate) fn expire_access_tokens(
        &mut self,
        realm_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> usize {
        let grants = &self.grants;
        let mut expired = 0;
        for entry in self.access_tokens.values_mut() {
            let in_scope = match realm_id {
                None => true,
                Some(realm_id) => grants
                    .get(&entry.grant_id)
                    .is_some_and(|grant| grant.realm_id.as_deref() == Some(realm_id)),
            };
            if in_scope && entry.expires_at > now {
                entry.expires_at = now;
                expired += 1;
            }
        }
        expired
    }

    /// Drops entries that can no longer matter, so a long benchmark does not
    /// grow memory without bound. Recently dead tokens are kept for a day so
    /// that "expired" is still told apart from "unknown".
    fn maybe_prune(&mut self, now: DateTime<Utc>) {
        if self.issued_since_prune < PRUNE_EVERY {
            return;
        }
        self.issued_since_prune = 0;
        let horizon = now - chrono::Duration::days(1);
        self.codes.retain(|_, code| code.expires_at > horizon);
        self.access_tokens
            .retain(|_, entry| entry.expires_at > horizon);
        let grace = self.config.superseded_refresh_grace;
        self.refresh_tokens.retain(|_, entry| {
            entry
                .superseded_at
                .is_none_or(|superseded_at| superseded_at + grace > horizon)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone as _};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn store(config: OAuthConfig) -> Store {
        let mut store = Store::new(config);
        store.register_company("9341453", "Sample Company");
        store
    }

    fn grant(store: &mut Store, now: DateTime<Utc>) -> IssuedTokens {
        store.create_grant(
            "app",
            Some("9341453".to_owned()),
            vec![ACCOUNTING_SCOPE.to_owned()],
            now,
            now,
        )
    }

    #[test]
    fn every_refresh_rotates_by_default_and_the_old_value_dies_at_once() {
        let mut store = store(OAuthConfig::default());
        let now = start();
        let first = grant(&mut store, now);
        let second = store.refresh("app", &first.refresh_token, now);
        let second = second.map(|tokens| tokens.refresh_token);
        assert!(matches!(&second, Ok(token) if *token != first.refresh_token));
        assert_eq!(
            store.refresh("app", &first.refresh_token, now).map(|_| ()),
            Err(GrantError::INVALID)
        );
        let counters = store.counters("app");
        assert_eq!(
            (counters.refreshes_served, counters.refreshes_rejected),
            (1, 1)
        );
    }

    #[test]
    fn interval_rotation_keeps_the_value_within_the_interval() {
        let mut store = store(OAuthConfig {
            refresh_rotation: RefreshRotation::After(Duration::hours(24)),
            ..OAuthConfig::default()
        });
        let now = start();
        let first = grant(&mut store, now);
        let same = store.refresh("app", &first.refresh_token, now + Duration::hours(3));
        assert_eq!(
            same.map(|tokens| tokens.refresh_token),
            Ok(first.refresh_token.clone())
        );
        let rotated = store.refresh("app", &first.refresh_token, now + Duration::hours(25));
        assert!(matches!(rotated, Ok(tokens) if tokens.refresh_token != first.refresh_token));
    }

    #[test]
    fn rolling_expiry_is_capped_by_the_hard_limit() {
        let mut store = store(OAuthConfig::default());
        let now = start();
        let tokens = grant(&mut store, now);
        assert_eq!(tokens.refresh_expires_in, 100 * 86_400);
        assert_eq!(tokens.refresh_hard_expires_in, 5 * 365 * 86_400);
        let near_cap = now + Duration::days(5 * 365 - 10);
        // Keep the chain alive up to ten days before the cap.
        let mut current = tokens.refresh_token;
        let mut at = now;
        while at + Duration::days(90) < near_cap {
            at += Duration::days(90);
            current = store
                .refresh("app", &current, at)
                .map(|tokens| tokens.refresh_token)
                .unwrap_or_default();
        }
        let last = store.refresh("app", &current, near_cap);
        let Ok(last) = last else {
            panic!("refresh near the cap failed: {last:?}");
        };
        assert_eq!(last.refresh_expires_in, 10 * 86_400);
        assert_eq!(last.refresh_expires_in, last.refresh_hard_expires_in);
    }
}
