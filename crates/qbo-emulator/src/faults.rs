//! Fault injection: the next N requests that match a method, a path pattern
//! and optionally an `operation` get a chosen failure instead of (or on top
//! of) their normal answer.
//!
//! The failures are the ones a sync client must survive: throttling, server
//! errors, a slow answer, a connection dropped before or after the write was
//! committed, a garbled body, an XML fault where JSON was asked, and an
//! expired token. "Dropped after the commit" is the case that tests exactly-once
//! creation: the handler runs and stores the object, then the client sees the
//! connection close without an answer.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::fault::Fault;

/// What an injected fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 429 with QBO's XML throttling fault (code 3001); nothing runs.
    Throttle,
    /// HTTP 500 with a `SystemFault`; nothing runs.
    InternalError,
    /// HTTP 503 with a gateway's HTML page; nothing runs.
    ServiceUnavailable,
    /// The request runs (and commits), then the answer is held back for
    /// `hold_ms` before it is sent, so a client's timeout fires first.
    Timeout,
    /// The connection closes without an answer and nothing runs.
    DropBeforeCommit,
    /// The request runs and commits, then the connection closes without an answer.
    DropAfterCommit,
    /// The request runs and commits, and the JSON answer is cut in half.
    MalformedJson,
    /// An XML `Fault` body (HTTP `status`, 400 unless given) whatever format was asked; nothing runs.
    XmlFault,
    /// The gateway's 401 for an expired access token; nothing runs.
    ExpiredToken,
    /// A batch runs (every item commits), then one item's answer — the item
    /// `b_id`, else the first — is replaced by a `SystemFault`, as when
    /// QuickBooks fails after that item's write. The batch's `requestid`
    /// still replays the real answer.
    ItemSystemFault,
}

impl FaultKind {
    /// Whether the normal handler runs (and so a write commits) for this fault.
    pub fn runs_handler(self) -> bool {
        matches!(
            self,
            FaultKind::Timeout
                | FaultKind::DropAfterCommit
                | FaultKind::MalformedJson
                | FaultKind::ItemSystemFault
        )
    }
}

/// A request to inject a fault, as the control API receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// The failure.
    pub kind: FaultKind,
    /// Only requests with this method (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path matches this pattern, where `*` stands for any
    /// run of characters (any path when absent), e.g. `/v3/company/*/invoice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only requests with this `operation` query parameter (e.g. `delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// How many matching requests get the fault.
    #[serde(default = "one")]
    pub count: u32,
    /// For `timeout`: how long the answer is held, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
    /// For `xml_fault`: the HTTP status (400 unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For `xml_fault` with a 4xx status: the fault code to answer with
    /// (`6210` for a closed books period, say; a 6000 business fault
    /// unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For `xml_fault` with `code`: the fault's message and detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For `item_system_fault`: the `bId` of the batch item that gets the
    /// fault (the first item when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_id: Option<String>,
}

fn one() -> u32 {
    1
}

impl FaultPlan {
    /// A plan for the next `count` requests of any method and path.
    pub fn new(kind: FaultKind, count: u32) -> FaultPlan {
        FaultPlan {
            kind,
            method: None,
            path: None,
            operation: None,
            count,
            hold_ms: None,
            status: None,
            code: None,
            message: None,
            b_id: None,
        }
    }

    /// Restricts the plan to one method.
    pub fn method(mut self, method: &str) -> FaultPlan {
        self.method = Some(method.to_owned());
        self
    }

    /// Restricts the plan to paths matching `pattern` (`*` = anything).
    pub fn path(mut self, pattern: &str) -> FaultPlan {
        self.path = Some(pattern.to_owned());
        self
    }

    /// An `xml_fault` answers with this fault code and message (a refusal
    /// such as 6210 "Account Period Closed").
    pub fn refusal(mut self, code: &str, message: &str) -> FaultPlan {
        self.code = Some(code.to_owned());
        self.message = Some(message.to_owned());
        self
    }

    /// Restricts the plan to one `operation` query parameter.
    pub fn operation(mut self, operation: &str) -> FaultPlan {
        self.operation = Some(operation.to_owned());
        self
    }

    /// Checks the plan before it is armed.
    pub fn validate(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("count must be at least 1".to_owned());
        }
        if let Some(method) = &self.method {
            Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("method {method:?} is not an HTTP method"))?;
        }
        if let Some(status) = self.status {
            if self.kind != FaultKind::XmlFault {
                return Err("status applies only to kind xml_fault".to_owned());
            }
            if !(400..=599).contains(&status) {
                return Err(format!("status {status} is not an error status (400-599)"));
            }
        }
        if (self.code.is_some() || self.message.is_some()) && self.kind != FaultKind::XmlFault {
            return Err("code and message apply only to kind xml_fault".to_owned());
        }
        if self.hold_ms.is_some() && self.kind != FaultKind::Timeout {
            return Err("hold_ms applies only to kind timeout".to_owned());
        }
        if self.b_id.is_some() && self.kind != FaultKind::ItemSystemFault {
            return Err("b_id applies only to kind item_system_fault".to_owned());
        }
        Ok(())
    }

    fn matches(&self, method: &Method, path: &str, operation: Option<&str>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method.as_str()))
            && self
                .path
                .as_deref()
                .is_none_or(|pattern| glob_matches(pattern, path))
            && self.operation.as_deref().is_none_or(|wanted| {
                operation.is_some_and(|actual| actual.eq_ignore_ascii_case(wanted))
            })
    }
}

/// An armed plan and how many requests it still applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArmedFault {
    /// The number to disarm it by.
    pub id: u64,
    /// The plan, with `count` = the requests still to fail.
    #[serde(flatten)]
    pub plan: FaultPlan,
}

/// The default time a `timeout` fault holds the answer.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Armed {
    next_id: u64,
    faults: Vec<ArmedFault>,
}

/// The armed faults, shared by the middleware and the control API.
#[derive(Debug)]
pub struct FaultInjector {
    armed: Mutex<Armed>,
    clock: Clock,
    offset: FixedOffset,
}

impl FaultInjector {
    /// No faults armed; `clock` and the companies' UTC `offset` stamp the
    /// fault bodies.
    pub fn new(clock: Clock, offset: FixedOffset) -> Arc<FaultInjector> {
        Arc::new(FaultInjector {
            armed: Mutex::new(Armed::default()),
            clock,
            offset,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Armed> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a plan; it applies after the ones armed before it are used up.
    pub fn arm(&self, plan: FaultPlan) -> Result<ArmedFault, String> {
        plan.validate()?;
        let mut armed = self.lock();
        armed.next_id += 1;
        let fault = ArmedFault {
            id: armed.next_id,
            plan,
        };
        armed.faults.push(fault.clone());
        Ok(fault)
    }

    /// The plans still armed.
    pub fn armed(&self) -> Vec<ArmedFault> {
        self.lock().faults.clone()
    }

    /// Disarms one plan; false if there was none with that id.
    pub fn disarm(&self, id: u64) -> bool {
        let mut armed = self.lock();
        let before = armed.faults.len();
        armed.faults.retain(|fault| fault.id != id);
        armed.faults.len() != before
    }

    /// Disarms every plan.
    pub fn clear(&self) {
        self.lock().faults.clear();
    }

    /// Takes one use of the first armed plan matching the request.
    pub fn take(&self, method: &Method, path: &str, operation: Option<&str>) -> Option<FaultPlan> {
        let mut armed = self.lock();
        let index = armed
            .faults
            .iter()
            .position(|fault| fault.plan.matches(method, path, operation))?;
        let fault = &mut armed.faults[index];
        let plan = fault.plan.clone();
        fault.plan.count = fault.plan.count.saturating_sub(1);
        if fault.plan.count == 0 {
            armed.faults.remove(index);
        }
        Some(plan)
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now().with_timezone(&self.offset)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (including `/`) and everything else matches itself, ignoring ASCII case.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern = pattern.as_bytes();
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was and where in the text it started matching.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star, start)) = backtrack {
            p = star + 1;
            t = start + 1;
            backtrack = Some((star, start + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|byte| *byte == b'*')
}

fn operation_of(request: &Request) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "operation")
        .map(|(_, value)| value.into_owned())
}

fn wants_xml(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("xml") && !accept.contains("json"))
}

/// Renders a fault as an HTTP response in the shape it takes, XML when the
/// fault is always XML or the client asked for XML.
pub fn fault_response(fault: &Fault, wants_xml: bool, time: DateTime<FixedOffset>) -> Response {
    if fault.renders_as_xml(wants_xml) {
        (
            fault.status,
            [(header::CONTENT_TYPE, "application/xml")],
            fault.to_xml(time),
        )
            .into_response()
    } else {
        (
            fault.status,
            [(header::CONTENT_TYPE, "application/json")],
            fault.to_json(time).to_string(),
        )
            .into_response()
    }
}

/// A response whose body fails before its first byte, which makes the server
/// close the connection without sending anything.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an injected fault",
        ))
    });
    Response::new(Body::from_stream(failing))
}

const SERVICE_UNAVAILABLE_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>\n";

/// The axum middleware: applies the first armed plan that matches the request.
pub async fn inject(
    State(injector): State<Arc<FaultInjector>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/_emulator") {
        return next.run(request).await;
    }
    let operation = operation_of(&request);
    let Some(plan) = injector.take(request.method(), path, operation.as_deref()) else {
        return next.run(request).await;
    };
    tracing::info!(kind = ?plan.kind, method = %request.method(), path, "injecting a fault");
    let xml = wants_xml(&request);
    let now = injector.now();
    match plan.kind {
        FaultKind::Throttle => fault_response(&Fault::throttled(), xml, now),
        FaultKind::InternalError => fault_response(
            &Fault::system("An injected internal error occurred. Try again later."),
            xml,
            now,
        ),
        FaultKind::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            SERVICE_UNAVAILABLE_PAGE,
        )
            .into_response(),
        FaultKind::ExpiredToken => fault_response(
            &Fault::authentication("Token expired: the access token has expired"),
            xml,
            now,
        ),
        FaultKind::XmlFault => {
            let status = plan
                .status
                .and_then(|code| StatusCode::from_u16(code).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            let mut fault = if status.is_server_error() {
                Fault::system("An injected system fault.")
            } else if let Some(code) = &plan.code {
                let message = plan.message.as_deref().unwrap_or("An injected fault.");
                Fault::validation(code, message, message)
            } else {
                Fault::business("An injected validation fault.")
            };
            fault.status = status;
            fault_response(&fault, true, now)
        }
        FaultKind::DropBeforeCommit => dropped_connection(),
        FaultKind::DropAfterCommit => {
            // The handler runs to completion (the write is committed) and its
            // answer is thrown away.
            drop(next.run(request).await);
            dropped_connection()
        }
        FaultKind::Timeout => {
            let response = next.run(request).await;
            let hold = plan.hold_ms.map_or(DEFAULT_HOLD, Duration::from_millis);
            tokio::time::sleep(hold).await;
            response
        }
        FaultKind::ItemSystemFault => {
            let response = next.run(request).await;
            fault_one_item(response, plan.b_id.as_deref()).await
        }
        FaultKind::MalformedJson => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = if bytes.len() > 1 {
                bytes.slice(..bytes.len() / 2)
            } else {
                Bytes::from_static(b"{\"Fault\":")
            };
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(parts, Body::from(cut))
        }
    }
}

/// A batch answer with one item's result replaced by a `SystemFault`; any
/// other answer passes unchanged.
async fn fault_one_item(response: Response, batch_id: Option<&str>) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Some(items) = answer
        .get_mut("BatchItemResponse")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let target = items.iter_mut().find(|item| {
        batch_id.is_none_or(|wanted| {
            item.get("bId").and_then(serde_json::Value::as_str) == Some(wanted)
        })
    });
    if let Some(item) = target {
        let fault = Fault::system("An injected system fault after the item was written.");
        let mut faulted = serde_json::Map::new();
        if let Some(id) = item.get("bId") {
            faulted.insert("bId".to_owned(), id.clone());
        }
        faulted.insert("Fault".to_owned(), fault.fault_object());
        *item = serde_json::Value::Object(faulted);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(answer.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_matches(
            "/v3/company/*/invoice",
            "/v3/company/123/invoice"
        ));
        assert!(glob_matches("*/Invoice", "/v3/company/123/invoice"));
        assert!(!glob_matches(
            "/v3/company/*/invoice",
            "/v3/company/123/invoice/4"
        ));
        assert!(glob_matches(
            "/v3/company/*/invoice*",
            "/v3/company/123/invoice/4"
        ));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXXbYYbc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn an_item_fault_names_its_item_and_only_it_does() {
        let mut plan = FaultPlan::new(FaultKind::ItemSystemFault, 1).path("*/batch");
        plan.b_id = Some("2".to_owned());
        assert!(plan.validate().is_ok());
        assert!(FaultKind::ItemSystemFault.runs_handler());
        let mut other = FaultPlan::new(FaultKind::Throttle, 1);
        other.b_id = Some("2".to_owned());
        assert!(other.validate().is_err());
    }

    #[test]
    fn plans_are_used_up_in_order() {
        let injector = FaultInjector::new(Clock::real(), utc());
        injector
            .arm(FaultPlan::new(FaultKind::Throttle, 2).method("post"))
            .unwrap();
        injector
            .arm(
                FaultPlan::new(FaultKind::InternalError, 1)
                    .path("*/invoice")
                    .operation("delete"),
            )
            .unwrap();
        assert_eq!(
            injector.take(&Method::GET, "/v3/company/1/invoice", None),
            None
        );
        let first = injector.take(&Method::POST, "/v3/company/1/invoice", Some("delete"));
        assert_eq!(first.map(|plan| plan.kind), Some(FaultKind::Throttle));
        let second = injector.take(&Method::POST, "/v3/company/1/bill", None);
        assert_eq!(second.map(|plan| plan.kind), Some(FaultKind::Throttle));
        assert_eq!(
            injector.take(&Method::POST, "/v3/company/1/invoice", None),
            None
        );
        let third = injector.take(&Method::POST, "/v3/company/1/invoice", Some("delete"));
        assert_eq!(third.map(|plan| plan.kind), Some(FaultKind::InternalError));
        assert!(injector.armed().is_empty());
    }

    #[test]
    fn rejects_bad_plans() {
        let injector = FaultInjector::new(Clock::real(), utc());
        assert!(
            injector
                .arm(FaultPlan::new(FaultKind::Throttle, 0))
                .is_err()
        );
        assert!(
            injector
                .arm(FaultPlan::new(FaultKind::Throttle, 1).method("NOT A METHOD"))
                .is_err()
        );
        let mut plan = FaultPlan::new(FaultKind::Throttle, 1);
        plan.status = Some(500);
        assert!(injector.arm(plan).is_err());
    }
}
