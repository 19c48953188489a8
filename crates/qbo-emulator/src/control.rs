//! The control API under `/_emulator/`: everything a test, a benchmark or the
//! demo needs to set the emulator up and watch it, none of it part of QBO.
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /_emulator/companies` | lists the companies |
//! | `POST /_emulator/companies` | creates one: `{"name"?, "seed"?, "size"?}` (seeded when `seed` or `size` is given) |
//! | `DELETE /_emulator/companies/{realm_id}` | removes one |
//! | `POST /_emulator/tokens` | `{"realm_id", "client_id"?}` → an Intuit token response, as if the user had connected |
//! | `GET`/`POST /_emulator/clients` | lists / registers OAuth clients `{"client_id", "client_secret", "redirect_uris", "app_name"?}` |
//! | `POST /_emulator/clients/{client_id}/redirect_uris` | adds `{"redirect_uri"}` to a client |
//! | `GET`/`POST /_emulator/limits` | reads / changes the request limits (any subset of the settings) |
//! | `GET`/`POST`/`DELETE /_emulator/faults` | lists / arms / clears injected faults; `DELETE /_emulator/faults/{id}` disarms one |
//! | `GET`/`POST /_emulator/webhooks` | reads / sets `{"endpoint_url", "verifier_token", "format", "time_scale"?, "aggregation_window_ms"?}` |
//! | `GET /_emulator/clock`, `POST /_emulator/clock/advance` | reads / moves the emulated clock `{"days"?, "hours"?, "minutes"?, "seconds"?}` |
//! | `GET /_emulator/counters[?realm_id=]`, `POST /_emulator/counters/reset` | reads / resets the request counters |
//!
//! Bodies are JSON in and out; bad input gets HTTP 400 with `{"error": "…"}`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{FixedOffset, SecondsFormat};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::counters::Counters;
use crate::entities::EntityKind;
use crate::faults::{FaultInjector, FaultPlan};
use crate::limits::{LimitSettings, Limits};
use crate::persist::Persistence;
use crate::state::Emulator;
use crate::webhooks::WebhookFormat;

/// An OAuth client registered through the control API or the binary; kept so
/// that `--data` can register it again after a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The app's client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The redirect URIs it may use, matched exactly.
    pub redirect_uris: Vec<String>,
    /// The name on the consent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
}

/// The webhook settings last given through the control API.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSettings {
    /// Where notifications go; none when switched off.
    pub endpoint_url: Option<String>,
    /// The verifier token that signs them.
    pub verifier_token: String,
    /// Legacy or CloudEvents.
    pub format: WebhookFormat,
}

/// The operations side of an emulator: limits, fault injection, counters,
/// registered clients and persistence.
#[derive(Debug)]
pub struct Operations {
    /// Intuit's request limits.
    pub limits: Arc<Limits>,
    /// Armed faults.
    pub faults: Arc<FaultInjector>,
    /// Request counters.
    pub counters: Arc<Counters>,
    /// Saving companies to a folder (`--data`).
    pub persistence: Persistence,
    clients: Mutex<BTreeMap<String, ClientRecord>>,
    webhooks: Mutex<WebhookSettings>,
}

impl Operations {
    /// Operations with limits off, no faults and no clients.
    pub fn new(clock: Clock, offset: FixedOffset) -> Arc<Operations> {
        Arc::new(Operations {
            limits: Limits::new(LimitSettings::default(), clock.clone(), offset),
            faults: FaultInjector::new(clock, offset),
            counters: Counters::new(),
            persistence: Persistence::default(),
            clients: Mutex::new(BTreeMap::new()),
            webhooks: Mutex::new(WebhookSettings::default()),
        })
    }

    fn clients_lock(&self) -> MutexGuard<'_, BTreeMap<String, ClientRecord>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The clients registered through [`Operations::register_client`].
    pub fn clients(&self) -> Vec<ClientRecord> {
        self.clients_lock().values().cloned().collect()
    }

    /// The first registered client, which `POST /_emulator/tokens` uses when
    /// no client is named.
    pub fn default_client(&self) -> Option<ClientRecord> {
        self.clients_lock().values().next().cloned()
    }

    /// The webhook settings last configured.
    pub fn webhook_settings(&self) -> WebhookSettings {
        self.webhooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Registers an OAuth client with the OAuth server and remembers it.
pub fn register_client(emulator: &Emulator, client: ClientRecord) {
    let oauth = emulator.oauth();
    match &client.app_name {
        Some(app_name) => oauth.register_named_client(
            &client.client_id,
            &client.client_secret,
            app_name,
            client.redirect_uris.clone(),
        ),
        None => oauth.register_client(
            &client.client_id,
            &client.client_secret,
            client.redirect_uris.clone(),
        ),
    }
    emulator
        .operations()
        .clients_lock()
        .insert(client.client_id.clone(), client);
    emulator.operations().persistence.mark_clients_dirty();
}

/// Sets the webhook endpoint through the notifier and remembers the settings.
pub fn configure_webhooks(emulator: &Emulator, settings: WebhookSettings) {
    emulator.notifier().configure(
        settings.endpoint_url.clone(),
        settings.verifier_token.clone(),
        settings.format,
    );
    *emulator
        .operations()
        .webhooks
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = settings;
    emulator.operations().persistence.mark_clients_dirty();
}

/// Wraps the QBO routes (API and OAuth) in the operations middleware:
/// counters outermost, then write tracking for `--data`, then the limits,
/// then injected faults closest to the handlers (so a request an injected
/// fault holds back still counts as in flight).
pub fn with_operations(routes: Router, emulator: &Emulator) -> Router {
    let operations = emulator.operations();
    routes
        .layer(from_fn_with_state(
            Arc::clone(&operations.faults),
            crate::faults::inject,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&operations.limits),
            crate::limits::enforce,
        ))
        .layer(from_fn_with_state(
            emulator.clone(),
            crate::persist::track_writes,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&operations.counters),
            crate::counters::count,
        ))
}

/// The control API and the web view.
pub fn routes(emulator: Emulator) -> Router {
    Router::new()
        .route(
            "/_emulator/companies",
            get(list_companies).post(create_company_route),
        )
        .route("/_emulator/companies/{realm_id}", delete(remove_company))
        .route("/_emulator/tokens", post(mint_tokens))
        .route("/_emulator/clients", get(list_clients).post(add_client))
        .route(
            "/_emulator/clients/{client_id}/redirect_uris",
            post(add_redirect_uri),
        )
        .route("/_emulator/limits", get(read_limits).post(change_limits))
        .route(
            "/_emulator/faults",
            get(list_faults).post(arm_fault).delete(clear_faults),
        )
        .route("/_emulator/faults/{id}", delete(disarm_fault))
        .route("/_emulator/webhooks", get(read_webhooks).post(set_webhooks))
        .route("/_emulator/clock", get(read_clock))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/counters", get(read_counters))
        .route("/_emulator/counters/reset", post(reset_counters))
        .with_state(emulator.clone())
        .merge(crate::web::routes(emulator))
}

/// A control-API error: a status and a message, sent as `{"error": …}`.
#[derive(Debug)]
pub struct ControlError {
    status: StatusCode,
    message: String,
}

impl ControlError {
    fn bad_request(message: impl Into<String>) -> ControlError {
        ControlError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> ControlError {
        ControlError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

type Answer = Result<Response, ControlError>;

fn ok(value: Value) -> Answer {
    Ok(axum::Json(value).into_response())
}

fn created(value: Value) -> Answer {
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

/// Parses a JSON body, an empty body counting as `{}`.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|error| ControlError::bad_request(format!("invalid request body: {error}")))
}

fn company_name(emulator: &Emulator, realm_id: &str) -> Option<String> {
    emulator.with_company(realm_id, |company| {
        company
            .read_kind(EntityKind::CompanyInfo, "1")
            .ok()
            .and_then(|info| {
                info.get("CompanyName")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    })
}

fn company_summary(emulator: &Emulator, realm_id: &str) -> Option<Value> {
    emulator.with_company(realm_id, |company| {
        let name = company
            .read_kind(EntityKind::CompanyInfo, "1")
            .ok()
            .and_then(|info| {
                info.get("CompanyName")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let counts: BTreeMap<&str, usize> = EntityKind::ALL
            .into_iter()
            .filter(|kind| !kind.is_singleton())
            .map(|kind| (kind.name(), company.count(kind)))
            .filter(|(_, count)| *count > 0)
            .collect();
        json!({ "realm_id": realm_id, "name": name, "entities": counts })
    })
}

async fn list_companies(State(emulator): State<Emulator>) -> Answer {
    let companies: Vec<Value> = emulator
        .realm_ids()
        .iter()
        .filter_map(|realm_id| company_summary(&emulator, realm_id))
        .collect();
    ok(json!({ "companies": companies }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCompany {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    size: Option<usize>,
}

/// The most transactions one seeded company may get through the control API.
pub const MAX_SEED_SIZE: usize = 1_000_000;

/// The size of a seeded company when only a seed is given.
pub const DEFAULT_SEED_SIZE: usize = 500;

/// Creates a company, seeded when `seed` is given; returns its realm id and
/// what the seeder created.
pub fn create_company(
    emulator: &Emulator,
    name: Option<&str>,
    seed: Option<(u64, usize)>,
) -> Result<(String, Option<crate::seed::SeedSummary>), crate::fault::Fault> {
    let name = match (name, seed) {
        (Some(name), _) => name.to_owned(),
        (None, Some((seed, _))) => crate::seed::company_name(seed),
        (None, None) => "Sandbox Company".to_owned(),
    };
    let realm_id = emulator.create_company(&name);
    let mut summary = None;
    if let Some((seed, size)) = seed {
        let now = emulator.clock().now();
        let seeded = emulator
            .with_company(&realm_id, |company| {
                crate::seed::populate(company, seed, size, now)
            })
            .unwrap_or_else(|| Err(crate::fault::Fault::system("the new company vanished")));
        match seeded {
            Ok(seeded) => summary = Some(seeded),
            Err(fault) => {
                emulator.remove_company(&realm_id);
                return Err(fault);
            }
        }
    }
    emulator.operations().persistence.mark_dirty(&realm_id);
    Ok((realm_id, summary))
}

async fn create_company_route(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let request: NewCompany = parse_body(&body)?;
    if request
        .name
        .as_ref()
        .is_some_and(|name| name.trim().is_empty())
    {
        return Err(ControlError::bad_request("name must not be empty"));
    }
    let size = request.size;
    if size.is_some_and(|size| size > MAX_SEED_SIZE) {
        return Err(ControlError::bad_request(format!(
            "size must be at most {MAX_SEED_SIZE}"
        )));
    }
    let seed = match (request.seed, size) {
        (None, None) => None,
        (seed, size) => Some((seed.unwrap_or(1), size.unwrap_or(DEFAULT_SEED_SIZE))),
    };
    // Seeding a large company takes a while; keep it off the async workers.
    let worker = emulator.clone();
    let outcome =
        tokio::task::spawn_blocking(move || create_company(&worker, request.name.as_deref(), seed))
            .await
            .map_err(|error| ControlError::bad_request(format!("seeding failed: {error}")))?;
    let (realm_id, summary) =
        outcome.map_err(|fault| ControlError::bad_request(format!("seeding failed: {fault}")))?;
    let mut answer = company_summary(&emulator, &realm_id).unwrap_or_else(|| json!({}));
    if let Some(summary) = summary {
        answer["seed_summary"] = serde_json::to_value(summary).unwrap_or(Value::Null);
    }
    created(answer)
}

async fn remove_company(State(emulator): State<Emulator>, Path(realm_id): Path<String>) -> Answer {
    if emulator.remove_company(&realm_id) {
        emulator.operations().persistence.forget(&realm_id);
        ok(json!({ "removed": realm_id }))
    } else {
        Err(ControlError::not_found(format!(
            "no company with realm id {realm_id}"
        )))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    realm_id: String,
    #[serde(default)]
    client_id: Option<String>,
}

async fn mint_tokens(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let request: TokenRequest = parse_body(&body)?;
    if company_name(&emulator, &request.realm_id).is_none() {
        return Err(ControlError::not_found(format!(
            "no company with realm id {}",
            request.realm_id
        )));
    }
    let client_id = match request.client_id {
        Some(client_id) => client_id,
        None => emulator
            .operations()
            .default_client()
            .map(|client| client.client_id)
            .ok_or_else(|| {
                ControlError::bad_request(
                    "no client_id given and no client registered; register one with POST /_emulator/clients",
                )
            })?,
    };
    let mut tokens = emulator.oauth().mint_tokens(&client_id, &request.realm_id);
    tokens["realmId"] = json!(request.realm_id);
    ok(tokens)
}

async fn list_clients(State(emulator): State<Emulator>) -> Answer {
    ok(json!({ "clients": emulator.operations().clients() }))
}

async fn add_client(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let client: ClientRecord = parse_body(&body)?;
    if client.client_id.trim().is_empty() || client.client_secret.trim().is_empty() {
        return Err(ControlError::bad_request(
            "client_id and client_secret must not be empty",
        ));
    }
    for uri in &client.redirect_uris {
        url::Url::parse(uri).map_err(|error| {
            ControlError::bad_request(format!("redirect URI {uri:?} is not a URL: {error}"))
        })?;
    }
    register_client(&emulator, client.clone());
    created(serde_json::to_value(client).unwrap_or(Value::Null))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectUri {
    redirect_uri: String,
}

async fn add_redirect_uri(
    State(emulator): State<Emulator>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Answer {
    let request: RedirectUri = parse_body(&body)?;
    url::Url::parse(&request.redirect_uri).map_err(|error| {
        ControlError::bad_request(format!(
            "redirect URI {:?} is not a URL: {error}",
            request.redirect_uri
        ))
    })?;
    let existing = emulator
        .operations()
        .clients_lock()
        .get(&client_id)
        .cloned();
    let Some(mut client) = existing else {
        return Err(ControlError::not_found(format!(
            "no client {client_id} was registered through the control API"
        )));
    };
    if !client.redirect_uris.contains(&request.redirect_uri) {
        client.redirect_uris.push(request.redirect_uri);
    }
    register_client(&emulator, client.clone());
    ok(serde_json::to_value(client).unwrap_or(Value::Null))
}

async fn read_limits(State(emulator): State<Emulator>) -> Answer {
    ok(serde_json::to_value(emulator.operations().limits.settings()).unwrap_or(Value::Null))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitChange {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    requests_per_window: Option<u32>,
    #[serde(default)]
    batches_per_window: Option<u32>,
    #[serde(default)]
    max_in_flight: Option<u32>,
    #[serde(default)]
    window_ms: Option<u64>,
}

async fn change_limits(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let change: LimitChange = parse_body(&body)?;
    let limits = &emulator.operations().limits;
    let current = limits.settings();
    let settings = LimitSettings {
        enabled: change.enabled.unwrap_or(current.enabled),
        requests_per_window: change
            .requests_per_window
            .unwrap_or(current.requests_per_window),
        batches_per_window: change
            .batches_per_window
            .unwrap_or(current.batches_per_window),
        max_in_flight: change.max_in_flight.unwrap_or(current.max_in_flight),
        window_ms: change.window_ms.unwrap_or(current.window_ms),
    };
    limits
        .configure(settings.clone())
        .map_err(ControlError::bad_request)?;
    ok(serde_json::to_value(settings).unwrap_or(Value::Null))
}

async fn list_faults(State(emulator): State<Emulator>) -> Answer {
    ok(json!({ "faults": emulator.operations().faults.armed() }))
}

async fn arm_fault(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let plan: FaultPlan = parse_body(&body)?;
    let armed = emulator
        .operations()
        .faults
        .arm(plan)
        .map_err(ControlError::bad_request)?;
    created(serde_json::to_value(armed).unwrap_or(Value::Null))
}

async fn clear_faults(State(emulator): State<Emulator>) -> Answer {
    emulator.operations().faults.clear();
    ok(json!({ "faults": [] }))
}

async fn disarm_fault(State(emulator): State<Emulator>, Path(id): Path<String>) -> Answer {
    let id: u64 = id
        .parse()
        .map_err(|_| ControlError::bad_request(format!("fault id {id:?} is not a number")))?;
    if emulator.operations().faults.disarm(id) {
        ok(json!({ "disarmed": id }))
    } else {
        Err(ControlError::not_found(format!("no armed fault {id}")))
    }
}

async fn read_webhooks(State(emulator): State<Emulator>) -> Answer {
    let settings = emulator.operations().webhook_settings();
    let mut answer = serde_json::to_value(settings).unwrap_or(Value::Null);
    answer["time_scale"] = json!(emulator.notifier().time_scale());
    answer["aggregation_window_ms"] = json!(window_ms(&emulator));
    answer["counters"] =
        serde_json::to_value(emulator.notifier().counters()).unwrap_or(Value::Null);
    ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookChange {
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    verifier_token: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    time_scale: Option<f64>,
    /// The aggregation window before the time scale applies (Intuit: one
    /// minute, or the 1, 3 or 5 the developer chose).
    #[serde(default)]
    aggregation_window_ms: Option<u64>,
}

fn window_ms(emulator: &Emulator) -> u64 {
    u64::try_from(emulator.notifier().aggregation_window().as_millis()).unwrap_or(u64::MAX)
}

async fn set_webhooks(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let change: WebhookChange = parse_body(&body)?;
    let current = emulator.operations().webhook_settings();
    if let Some(endpoint) = &change.endpoint_url {
        let parsed = url::Url::parse(endpoint).map_err(|error| {
            ControlError::bad_request(format!("endpoint_url {endpoint:?} is not a URL: {error}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ControlError::bad_request(
                "endpoint_url must be an http or https URL",
            ));
        }
    }
    let format = match change.format.as_deref() {
        Some(text) => text
            .parse::<WebhookFormat>()
            .map_err(ControlError::bad_request)?,
        None => current.format,
    };
    let verifier_token = change.verifier_token.unwrap_or(current.verifier_token);
    if change.endpoint_url.is_some() && verifier_token.is_empty() {
        return Err(ControlError::bad_request(
            "verifier_token is required to sign notifications",
        ));
    }
    if let Some(scale) = change.time_scale {
        if !scale.is_finite() || scale.is_sign_negative() {
            return Err(ControlError::bad_request(
                "time_scale must be a number of at least 0 (1 = real time, 0.001 = a thousand times faster)",
            ));
        }
        emulator.notifier().set_time_scale(scale);
    }
    if let Some(window) = change.aggregation_window_ms {
        emulator
            .notifier()
            .set_aggregation_window(std::time::Duration::from_millis(window));
    }
    let settings = WebhookSettings {
        endpoint_url: change.endpoint_url,
        verifier_token,
        format,
    };
    configure_webhooks(&emulator, settings.clone());
    let mut answer = serde_json::to_value(settings).unwrap_or(Value::Null);
    answer["time_scale"] = json!(emulator.notifier().time_scale());
    answer["aggregation_window_ms"] = json!(window_ms(&emulator));
    ok(answer)
}

fn clock_answer(emulator: &Emulator) -> Value {
    let now = emulator.clock().now();
    json!({
        "now": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "company_time": now
            .with_timezone(&emulator.config().offset())
            .to_rfc3339_opts(SecondsFormat::Secs, false),
    })
}

async fn read_clock(State(emulator): State<Emulator>) -> Answer {
    ok(clock_answer(&emulator))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    #[serde(default)]
    days: Option<i64>,
    #[serde(default)]
    hours: Option<i64>,
    #[serde(default)]
    minutes: Option<i64>,
    #[serde(default)]
    seconds: Option<i64>,
}

async fn advance_clock(State(emulator): State<Emulator>, body: Bytes) -> Answer {
    let advance: ClockAdvance = parse_body(&body)?;
    let parts = [
        (advance.days, 86_400_i64),
        (advance.hours, 3_600),
        (advance.minutes, 60),
        (advance.seconds, 1),
    ];
    if parts.iter().all(|(value, _)| value.is_none()) {
        return Err(ControlError::bad_request(
            "give at least one of days, hours, minutes, seconds",
        ));
    }
    let mut total: i64 = 0;
    for (value, unit) in parts {
        let seconds = value
            .unwrap_or(0)
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds));
        total = seconds.ok_or_else(|| ControlError::bad_request("the advance is too large"))?;
    }
    // Keep within a century so that chrono's arithmetic cannot overflow.
    if total.unsigned_abs() > 100 * 366 * 86_400 {
        return Err(ControlError::bad_request("the advance is too large"));
    }
    emulator.clock().advance(chrono::Duration::seconds(total));
    ok(clock_answer(&emulator))
}

#[derive(Debug, Deserialize)]
struct CounterQuery {
    #[serde(default)]
    realm_id: Option<String>,
}

async fn read_counters(
    State(emulator): State<Emulator>,
    Query(query): Query<CounterQuery>,
) -> Answer {
    let counters = &emulator.operations().counters;
    match query.realm_id {
        Some(realm_id) => {
            ok(serde_json::to_value(counters.realm(&realm_id)).unwrap_or(Value::Null))
        }
        None => ok(serde_json::to_value(counters.snapshot()).unwrap_or(Value::Null)),
    }
}

async fn reset_counters(State(emulator): State<Emulator>) -> Answer {
    emulator.operations().counters.reset();
    ok(serde_json::to_value(emulator.operations().counters.snapshot()).unwrap_or(Value::Null))
}
