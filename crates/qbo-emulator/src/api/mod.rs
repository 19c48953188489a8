//! The Accounting API v3 handlers under `/v3/company/{realmId}/`.
//!
//! Every request is authenticated with the bearer token (through the OAuth
//! server), then served from the company's state. Writes honour `requestid`:
//! a repeated id returns the first response and changes nothing.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::entities::EntityKind;
use crate::fault::Fault;
use crate::state::{Company, Emulator, RecordedResponse, format_response_time, parse_kind};

/// The lowest minor version QBO serves; lower values are served as this one
/// (API.md §1.3).
pub const MINIMUM_MINOR_VERSION: u32 = 75;

/// The longest `requestid` QBO accepts (API.md §1.5).
pub const REQUEST_ID_MAX: usize = 50;

/// The v3 routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/v3/company/{realm_id}/query",
            get(query_get).post(query_post),
        )
        .route("/v3/company/{realm_id}/cdc", get(crate::cdc::handler))
        .route("/v3/company/{realm_id}/batch", post(crate::batch::handler))
        .route(
            "/v3/company/{realm_id}/{entity}",
            post(entity_post).get(entity_get_without_id),
        )
        .route("/v3/company/{realm_id}/{entity}/{id}", get(entity_get))
}

/// What every v3 request carries besides its body.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The realm in the URL.
    pub realm_id: String,
    /// The client asked for XML (`Accept: application/xml`).
    pub wants_xml: bool,
    /// The `requestid` query parameter, if any.
    pub request_id: Option<String>,
    /// The minor version served (at least 75).
    pub minor_version: u32,
    /// The query parameters.
    pub params: HashMap<String, String>,
}

impl RequestContext {
    /// Reads the context from the request parts.
    pub fn new(
        realm_id: String,
        headers: &HeaderMap,
        params: HashMap<String, String>,
    ) -> RequestContext {
        let wants_xml = headers
            .get(ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| {
                let accept = accept.to_ascii_lowercase();
                accept.contains("xml") && !accept.contains("json")
            });
        let minor_version = params
            .get("minorversion")
            .and_then(|version| version.trim().parse::<u32>().ok())
            .unwrap_or(MINIMUM_MINOR_VERSION)
            .max(MINIMUM_MINOR_VERSION);
        let request_id = params
            .get("requestid")
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        RequestContext {
            realm_id,
            wants_xml,
            request_id,
            minor_version,
            params,
        }
    }

    /// A query parameter, compared case-insensitively by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The company's "now", for response `time` values.
pub fn company_now(emulator: &Emulator) -> DateTime<FixedOffset> {
    emulator
        .clock()
        .now()
        .with_timezone(&emulator.config().offset())
}

/// A JSON 200 response.
pub fn json_response(body: &Value) -> Response {
    json_text_response(body.to_string())
}

/// A JSON 200 response of text already written.
fn json_text_response(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

/// A fault response in the client's format.
pub fn fault_response(fault: &Fault, wants_xml: bool, now: DateTime<FixedOffset>) -> Response {
    let (content_type, body) = if fault.renders_as_xml(wants_xml) {
        ("application/xml;charset=UTF-8", fault.to_xml(now))
    } else {
        (
            "application/json;charset=UTF-8",
            fault.to_json(now).to_string(),
        )
    };
    let mut response = (fault.status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Checks the bearer token for the realm; `Err` is the gateway's 401 or 403.
pub fn authenticate(emulator: &Emulator, headers: &HeaderMap, realm_id: &str) -> Result<(), Fault> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(Fault::authentication(
            "Authorization header is missing or is not a Bearer token",
        ));
    }
    emulator
        .oauth()
        .authenticate(token, realm_id)
        .map_err(|failure| {
            let mut fault = Fault::authentication(failure.detail(token));
            fault.status = failure.status();
            fault.fault_type = failure.fault_type().to_owned();
            if let Some(error) = fault.errors.first_mut() {
                error.code = failure.code().to_owned();
                error.message = failure.message().to_owned();
            }
            fault
        })
}

/// Runs `f` on the authenticated company, turning a missing company into a
/// fault. Used by every v3 handler.
pub fn with_authenticated_company<R>(
    emulator: &Emulator,
    headers: &HeaderMap,
    realm_id: &str,
    f: impl FnOnce(&mut Company) -> Result<R, Fault>,
) -> Result<R, Fault> {
    authenticate(emulator, headers, realm_id)?;
    emulator.with_company(realm_id, f).unwrap_or_else(|| {
        Err(Fault::authorization(format!(
            "There is no company with realm id {realm_id}"
        )))
    })
}

/// Replays the response remembered under the context's `requestid`, if any.
pub fn replay(
    company: &Company,
    context: &RequestContext,
) -> Option<Result<Value, (Fault, DateTime<FixedOffset>)>> {
    let request_id = context.request_id.as_deref()?;
    match company.recorded_response(request_id)? {
        RecordedResponse::Success(body) => Some(Ok(body.clone())),
        RecordedResponse::Failure(fault, at) => Some(Err((fault.clone(), *at))),
    }
}

/// Checks the length of a `requestid`.
pub fn check_request_id(context: &RequestContext, limit: usize) -> Result<(), Fault> {
    match &context.request_id {
        Some(id) if id.chars().count() > limit => Err(Fault::validation(
            "2050",
            "String length is either shorter or longer than supported by specification",
            format!("requestid can be at most {limit} characters long"),
        )
        .with_element("requestid")),
        _ => Ok(()),
    }
}

/// Parses a request body as a JSON object.
pub fn parse_body(body: &[u8]) -> Result<Value, Fault> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Fault::invalid_property("Request body is empty"));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Fault::unsupported_operation("Request body is not valid UTF-8"))?;
    serde_json::from_str::<Value>(text).map_err(|error| {
        Fault::invalid_property(format!(
            "Request has invalid or unsupported property: could not parse the JSON body ({error})"
        ))
    })
}

/// What a POST to an entity endpoint asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOperation {
    /// Create, or update when the body has an Id.
    Write,
    /// `operation=delete`.
    Delete,
    /// `operation=void`, or `operation=update&include=void`.
    Void,
}

impl WriteOperation {
    /// Reads the operation from `operation`/`include` parameters.
    pub fn from_params(
        operation: Option<&str>,
        include: Option<&str>,
    ) -> Result<WriteOperation, Fault> {
        let includes_void = include.is_some_and(|include| {
            include
                .split(',')
                .any(|part| part.trim().eq_ignore_ascii_case("void"))
        });
        match operation.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("create") => Ok(if includes_void {
                WriteOperation::Void
            } else {
                WriteOperation::Write
            }),
            Some("update") => Ok(if includes_void {
                WriteOperation::Void
            } else {
                WriteOperation::Write
            }),
            Some("delete") => Ok(WriteOperation::Delete),
            Some("void") => Ok(WriteOperation::Void),
            Some(other) => Err(Fault::unsupported_operation(format!(
                "Operation {other} is not supported"
            ))),
        }
    }
}

/// Applies one write to a company: the shared path of the entity endpoint and
/// batch items. Returns the entity body (`{"Invoice":{…}}` without `time`).
pub fn apply_write(
    company: &mut Company,
    kind: EntityKind,
    operation: WriteOperation,
    body: Value,
    now: DateTime<Utc>,
) -> Result<Value, Fault> {
    let result = match operation {
        WriteOperation::Delete => company.delete_kind(kind, body, now)?,
        WriteOperation::Void => company.void_kind(kind, body, now)?,
        WriteOperation::Write => {
            let is_update = kind.is_singleton() || body.get("Id").is_some_and(|id| !id.is_null());
            if is_update && !kind.api_updatable() || !is_update && !kind.api_creatable() {
                return Err(Fault::unsupported_operation(format!(
                    "Operation {} is not supported for {kind} through this endpoint",
                    if is_update { "Update" } else { "Create" }
                )));
            }
            company.write_kind(kind, body, now)?
        }
    };
    Ok(json!({ kind.name(): result }))
}

/// Serves a write with `requestid` replay: the recorded response if the id was
/// seen, otherwise `run` and record its outcome.
pub fn serve_write(
    emulator: &Emulator,
    headers: &HeaderMap,
    context: &RequestContext,
    request_id_limit: usize,
    run: impl FnOnce(&mut Company, DateTime<Utc>) -> Result<Value, Fault>,
) -> Response {
    let now = emulator.clock().now();
    let company_time = now.with_timezone(&emulator.config().offset());
    let outcome = with_authenticated_company(emulator, headers, &context.realm_id, |company| {
        check_request_id(context, request_id_limit)?;
        if let Some(replayed) = replay(company, context) {
            return Ok(replayed);
        }
        let result = run(company, now).map(|mut body| {
            if let Some(object) = body.as_object_mut() {
                object.insert("time".to_owned(), json!(format_response_time(company_time)));
            }
            body
        });
        if let Some(request_id) = &context.request_id {
            let recorded = match &result {
                Ok(body) => RecordedResponse::Success(body.clone()),
                Err(fault) => RecordedResponse::Failure(fault.clone(), company_time),
            };
            company.record_response(request_id, recorded);
        }
        Ok(result.map_err(|fault| (fault, company_time)))
    });
    match outcome {
        Ok(Ok(body)) => json_response(&body),
        Ok(Err((fault, at))) => fault_response(&fault, context.wants_xml, at),
        Err(fault) => fault_response(&fault, context.wants_xml, company_time),
    }
}

async fn entity_post(
    State(emulator): State<Emulator>,
    Path((realm_id, entity)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let context = RequestContext::new(realm_id, &headers, params);
    let now = company_now(&emulator);
    let prepared = parse_kind(&entity).and_then(|kind| {
        let operation =
            WriteOperation::from_params(context.param("operation"), context.param("include"))?;
        Ok((kind, operation))
    });
    let (kind, operation) = match prepared {
        Ok(prepared) => prepared,
        Err(fault) => {
            // Authentication comes first even for a bad URL, as at Intuit's gateway.
            if let Err(auth) = authenticate(&emulator, &headers, &context.realm_id) {
                return fault_response(&auth, context.wants_xml, now);
            }
            return fault_response(&fault, context.wants_xml, now);
        }
    };
    serve_write(
        &emulator,
        &headers,
        &context,
        REQUEST_ID_MAX,
        move |company, now| {
            let body = parse_body(&body)?;
            apply_write(company, kind, operation, body, now)
        },
    )
}

async fn entity_get(
    State(emulator): State<Emulator>,
    Path((realm_id, entity, id)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    read_response(&emulator, realm_id, &entity, Some(id), &headers, params)
}

async fn entity_get_without_id(
    State(emulator): State<Emulator>,
    Path((realm_id, entity)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    read_response(&emulator, realm_id, &entity, None, &headers, params)
}

fn read_response(
    emulator: &Emulator,
    realm_id: String,
    entity: &str,
    id: Option<String>,
    headers: &HeaderMap,
    params: HashMap<String, String>,
) -> Response {
    let context = RequestContext::new(realm_id, headers, params);
    let now = company_now(emulator);
    let outcome = with_authenticated_company(emulator, headers, &context.realm_id, |company| {
        let kind = parse_kind(entity)?;
        let id = match (kind, id) {
            // CompanyInfo is read at /companyinfo/{realmId}; there is one per company.
            (EntityKind::CompanyInfo | EntityKind::Preferences, _) => "1".to_owned(),
            (_, Some(id)) => id,
            (_, None) => {
                return Err(Fault::unsupported_operation(format!(
                    "GET /{entity} needs an id: GET /{entity}/{{id}}"
                )));
            }
        };
        let doc = company.read_kind(kind, &id)?;
        Ok(json!({ kind.name(): doc, "time": format_response_time(now) }))
    });
    match outcome {
        Ok(body) => json_response(&body),
        Err(fault) => fault_response(&fault, context.wants_xml, now),
    }
}

async fn query_get(
    State(emulator): State<Emulator>,
    Path(realm_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let context = RequestContext::new(realm_id, &headers, params);
    let statement = context.param("query").unwrap_or("").to_owned();
    query_response(&emulator, &context, &headers, &statement)
}

async fn query_post(
    State(emulator): State<Emulator>,
    Path(realm_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let context = RequestContext::new(realm_id, &headers, params);
    let statement = match context.param("query") {
        Some(statement) if body.is_empty() => statement.to_owned(),
        _ => String::from_utf8_lossy(&body).into_owned(),
    };
    query_response(&emulator, &context, &headers, &statement)
}

fn query_response(
    emulator: &Emulator,
    context: &RequestContext,
    headers: &HeaderMap,
    statement: &str,
) -> Response {
    let now = company_now(emulator);
    // The page is written out while the company is borrowed: its rows are
    // serialised from the stored documents, never copied first, so that
    // serving a page costs about its text (the emulator must not be what a
    // client's first pull waits on).
    let outcome = with_authenticated_company(emulator, headers, &context.realm_id, |company| {
        with_query_answer(company, statement, |answer| {
            serde_json::to_string(&json_body::QueryBody {
                query_response: answer,
                time: &format_response_time(now),
            })
            .map_err(|error| Fault::system(error.to_string()))
        })
    });
    match outcome {
        Ok(body) => json_text_response(body),
        Err(fault) => fault_response(&fault, context.wants_xml, now),
    }
}

/// Runs a query statement and returns the `QueryResponse` object: the rows
/// under the entity name with `startPosition` and `maxResults`; `totalCount`
/// alone for `COUNT(*)`; `{}` when no row is returned.
pub fn run_query(company: &Company, statement: &str) -> Result<Value, Fault> {
    with_query_answer(company, statement, |answer| {
        serde_json::to_value(answer).map_err(|error| Fault::system(error.to_string()))
    })
}

/// Parses and runs a query statement, and hands its answer, which borrows
/// the company's documents, to `write`.
fn with_query_answer<R>(
    company: &Company,
    statement: &str,
    write: impl FnOnce(&json_body::QueryAnswer<'_>) -> Result<R, Fault>,
) -> Result<R, Fault> {
    let query = crate::query::parse(statement)
        .map_err(|error| Fault::validation(error.code, &error.message, error.detail.clone()))?;
    let kind = EntityKind::parse(&query.entity);
    let empty = crate::index::TypeDocs::default();
    let docs = kind
        .and_then(|kind| company.type_docs(kind))
        .unwrap_or(&empty);
    let outcome = crate::query::execute_indexed(&query, docs);
    let entity_name = kind.map_or(query.entity.as_str(), |kind| kind.name());
    write(&json_body::QueryAnswer {
        entity_name,
        count_only: query.count_only,
        outcome,
    })
}

/// The query answer's JSON, written from borrowed documents.
mod json_body {
    use serde::Serialize;
    use serde::ser::{SerializeMap, Serializer};

    use crate::query::PageOutcome;

    /// `{"QueryResponse": …, "time": …}`.
    #[derive(Serialize)]
    pub struct QueryBody<'a> {
        #[serde(rename = "QueryResponse")]
        pub query_response: &'a QueryAnswer<'a>,
        pub time: &'a str,
    }

    /// The `QueryResponse` object: the rows under the entity's name with
    /// `startPosition` and `maxResults`; `totalCount` alone for `COUNT(*)`;
    /// `{}` when no row is returned.
    pub struct QueryAnswer<'a> {
        pub entity_name: &'a str,
        pub count_only: bool,
        pub outcome: PageOutcome<'a>,
    }

    impl Serialize for QueryAnswer<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            if self.count_only {
                map.serialize_entry("totalCount", &self.outcome.total_count.unwrap_or_default())?;
            } else if !self.outcome.items.is_empty() {
                map.serialize_entry(self.entity_name, &self.outcome.items)?;
                map.serialize_entry("startPosition", &self.outcome.start_position)?;
                map.serialize_entry("maxResults", &self.outcome.max_results)?;
            }
            map.end()
        }
    }
}
