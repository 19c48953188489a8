//! One error type for everything that can go wrong talking to QBO, sorted by
//! what the caller should do about it, and the parser that turns Intuit's fault
//! bodies (JSON, the gateway's lower-case JSON, or XML) into it.
//!
//! Intuit answers failures in several shapes (API.md §9.1, §2.9, §8): the data
//! service's `{"Fault":{"Error":[…],"type":…}}`, the gateway's
//! `{"fault":{"error":[…]}}` with lower-case keys, and an `IntuitResponse` XML
//! document for throttling even when JSON was asked for. Gateways in front of
//! QBO also send HTML pages. The parser accepts any bytes and never panics: what
//! it cannot read becomes [`QboError::Protocol`] (or, for a 5xx status,
//! [`QboError::Transient`], since a broken gateway page is still a server error).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use quick_xml::events::{BytesStart, Event};
use serde::Serialize;
use serde_json::Value;

/// How long to wait after a 429 that names no `Retry-After`: Intuit says to
/// wait 60 seconds (API.md §8).
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(60);

/// The longest `Retry-After` honoured; a larger value (or a broken one) is
/// capped so that one bad header cannot stall a company for hours.
pub const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(15 * 60);

/// How much of an unreadable body is quoted in an error message.
const BODY_EXCERPT_CHARS: usize = 200;

/// Everything a QBO call can fail with, by what the caller should do next.
///
/// Every variant carries Intuit's own words (`message`) and the `intuit_tid`
/// of the response when there was one, which Intuit support asks for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QboError {
    /// 5010: the SyncToken sent is not the current one; someone changed the
    /// object in QuickBooks since it was read. Pull and merge, never overwrite.
    #[error("QuickBooks has a newer version of this record (stale SyncToken): {message}{}", tid_note(.intuit_tid))]
    Stale {
        /// Intuit's message.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// 610: the object does not exist (never created, deleted, or a
    /// referenced name was made inactive).
    #[error("QuickBooks could not find the object: {message}{}", tid_note(.intuit_tid))]
    NotFound {
        /// Intuit's message.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// Any other rejected request: the request must change before it can succeed.
    #[error("QuickBooks rejected the request (error {code}{}): {}{}", element_note(.element), joined(.message, .detail), tid_note(.intuit_tid))]
    Validation {
        /// Intuit's numeric code, as sent (a string on the wire).
        code: String,
        /// The offending field, when Intuit names one.
        element: Option<String>,
        /// Intuit's short message.
        message: String,
        /// Intuit's specific explanation.
        detail: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// 429 / 3001: too many requests; the whole company waits `retry_after`.
    #[error("QuickBooks is throttling this company; retry after {} s: {message}{}", .retry_after.as_secs(), tid_note(.intuit_tid))]
    Throttled {
        /// How long to wait before the next request to this company.
        retry_after: Duration,
        /// Intuit's message.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// 401 / 3200: the access token was refused; refresh it and retry once.
    #[error("QuickBooks refused the access token: {message}{}", tid_note(.intuit_tid))]
    AuthExpired {
        /// Intuit's message, with token fragments removed.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// `invalid_grant` from the token endpoint, or the app is no longer
    /// authorised for the company (403 / 3100): the user must reconnect.
    #[error("this company must be reconnected to QuickBooks: {message}{}", tid_note(.intuit_tid))]
    ReconnectNeeded {
        /// Intuit's message.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// 6190 (subscription ended) or 120 (plan does not allow access): stop
    /// syncing this company and tell the user.
    #[error("the QuickBooks subscription of this company does not allow access (error {code}): {message}{}", tid_note(.intuit_tid))]
    SubscriptionLapsed {
        /// Intuit's numeric code.
        code: String,
        /// Intuit's message.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// A 5xx, a timeout or a dropped connection: retry later with the same `requestid`.
    #[error("QuickBooks could not be reached or failed temporarily: {message}{}", tid_note(.intuit_tid))]
    Transient {
        /// The HTTP status, when an answer arrived.
        status: Option<u16>,
        /// What happened.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// An answer we could not understand (malformed JSON, an unexpected shape).
    #[error("QuickBooks sent an answer that could not be understood: {message}{}", tid_note(.intuit_tid))]
    Protocol {
        /// The HTTP status, when an answer arrived.
        status: Option<u16>,
        /// What was wrong with it.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
}

/// The kind of a [`QboError`] without its data, for matching and for the
/// `{ kind, message }` error that crosses the IPC boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// See [`QboError::Stale`].
    Stale,
    /// See [`QboError::NotFound`].
    NotFound,
    /// See [`QboError::Validation`].
    Validation,
    /// See [`QboError::Throttled`].
    Throttled,
    /// See [`QboError::AuthExpired`].
    AuthExpired,
    /// See [`QboError::ReconnectNeeded`].
    ReconnectNeeded,
    /// See [`QboError::SubscriptionLapsed`].
    SubscriptionLapsed,
    /// See [`QboError::Transient`].
    Transient,
    /// See [`QboError::Protocol`].
    Protocol,
}

impl ErrorKind {
    /// The snake-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Stale => "stale",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Throttled => "throttled",
            ErrorKind::AuthExpired => "auth_expired",
            ErrorKind::ReconnectNeeded => "reconnect_needed",
            ErrorKind::SubscriptionLapsed => "subscription_lapsed",
            ErrorKind::Transient => "transient",
            ErrorKind::Protocol => "protocol",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl QboError {
    /// The kind, without the data.
    pub fn kind(&self) -> ErrorKind {
        match self {
            QboError::Stale { .. } => ErrorKind::Stale,
            QboError::NotFound { .. } => ErrorKind::NotFound,
            QboError::Validation { .. } => ErrorKind::Validation,
            QboError::Throttled { .. } => ErrorKind::Throttled,
            QboError::AuthExpired { .. } => ErrorKind::AuthExpired,
            QboError::ReconnectNeeded { .. } => ErrorKind::ReconnectNeeded,
            QboError::SubscriptionLapsed { .. } => ErrorKind::SubscriptionLapsed,
            QboError::Transient { .. } => ErrorKind::Transient,
            QboError::Protocol { .. } => ErrorKind::Protocol,
        }
    }

    /// Intuit's transaction id of the failed response, if one arrived.
    pub fn intuit_tid(&self) -> Option<&str> {
        match self {
            QboError::Stale { intuit_tid, .. }
            | QboError::NotFound { intuit_tid, .. }
            | QboError::Validation { intuit_tid, .. }
            | QboError::Throttled { intuit_tid, .. }
            | QboError::AuthExpired { intuit_tid, .. }
            | QboError::ReconnectNeeded { intuit_tid, .. }
            | QboError::SubscriptionLapsed { intuit_tid, .. }
            | QboError::Transient { intuit_tid, .. }
            | QboError::Protocol { intuit_tid, .. } => intuit_tid.as_deref(),
        }
    }

    /// Intuit's message (for [`QboError::Validation`], the short one).
    pub fn message(&self) -> &str {
        match self {
            QboError::Stale { message, .. }
            | QboError::NotFound { message, .. }
            | QboError::Validation { message, .. }
            | QboError::Throttled { message, .. }
            | QboError::AuthExpired { message, .. }
            | QboError::ReconnectNeeded { message, .. }
            | QboError::SubscriptionLapsed { message, .. }
            | QboError::Transient { message, .. }
            | QboError::Protocol { message, .. } => message,
        }
    }

    /// Whether the same request may succeed later unchanged (after a wait).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            QboError::Transient { .. } | QboError::Throttled { .. }
        )
    }

    /// A transient failure with no answer (timeout, reset, refused connection).
    pub fn transient(message: impl Into<String>) -> QboError {
        QboError::Transient {
            status: None,
            message: message.into(),
            intuit_tid: None,
        }
    }

    /// A protocol failure: an answer that could not be understood.
    pub fn protocol(
        status: Option<u16>,
        message: impl Into<String>,
        intuit_tid: Option<&str>,
    ) -> QboError {
        QboError::Protocol {
            status,
            message: message.into(),
            intuit_tid: intuit_tid.map(str::to_owned),
        }
    }
}

fn tid_note(intuit_tid: &Option<String>) -> String {
    match intuit_tid {
        Some(tid) => format!(" (intuit_tid {tid})"),
        None => String::new(),
    }
}

fn element_note(element: &Option<String>) -> String {
    match element {
        Some(element) => format!(", field {element}"),
        None => String::new(),
    }
}

/// Joins Intuit's short message and detail without repeating the message when
/// the detail already starts with it (as "Stale Object Error : …" does).
fn joined(message: &str, detail: &str) -> String {
    let message = message.trim();
    let detail = detail.trim();
    if detail.is_empty() {
        message.to_owned()
    } else if message.is_empty() || detail.starts_with(message) {
        detail.to_owned()
    } else {
        format!("{message}: {detail}")
    }
}

/// One `Error` entry of a fault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultEntry {
    /// The numeric code as sent, e.g. "5010".
    pub code: String,
    /// The short message.
    pub message: String,
    /// The specific explanation.
    pub detail: String,
    /// The offending field, when named (empty and null count as none).
    pub element: Option<String>,
}

/// A fault body: its type and its errors, in the order sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedFault {
    /// `ValidationFault`, `SystemFault`, `AUTHENTICATION`, `SERVICE`, …
    pub fault_type: Option<String>,
    /// The errors; Intuit always sends at least one, but a broken body may not.
    pub errors: Vec<FaultEntry>,
}

/// What was wrong with a body that should have held a fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableFault(String);

/// Parses a fault body in any of Intuit's shapes: the data service's JSON
/// `Fault`, the gateway's lower-case `fault`, or an XML `Fault` (inside an
/// `IntuitResponse` or alone).
pub fn parse_fault_body(body: &[u8]) -> Result<ParsedFault, UnreadableFault> {
    let text = std::str::from_utf8(body)
        .map_err(|error| UnreadableFault(format!("the body is not UTF-8 text ({error})")))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(UnreadableFault("the body is empty".to_owned()));
    }
    if text.starts_with('<') {
        parse_xml_fault(text)
    } else if text.starts_with('{') {
        let value: Value = serde_json::from_str(text)
            .map_err(|error| UnreadableFault(format!("the JSON body is malformed ({error})")))?;
        parse_json_fault(&value)
            .ok_or_else(|| UnreadableFault("the JSON body has no Fault object".to_owned()))
    } else {
        Err(UnreadableFault(format!(
            "the body is neither JSON nor XML: {}",
            excerpt(text)
        )))
    }
}

/// Reads the `Fault` (or gateway `fault`) object of a JSON response, if any.
/// Batch items carry the same object, so the batch code reuses this.
pub fn parse_json_fault(value: &Value) -> Option<ParsedFault> {
    let fault = get_either(value, "Fault", "fault")?;
    if !fault.is_object() {
        return None;
    }
    let fault_type = get_either(fault, "type", "Type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let errors = match get_either(fault, "Error", "error") {
        Some(Value::Array(entries)) => entries.iter().filter_map(json_entry).collect(),
        Some(entry @ Value::Object(_)) => json_entry(entry).into_iter().collect(),
        _ => Vec::new(),
    };
    Some(ParsedFault { fault_type, errors })
}

fn get_either<'v>(value: &'v Value, first: &str, second: &str) -> Option<&'v Value> {
    value.get(first).or_else(|| value.get(second))
}

fn json_entry(entry: &Value) -> Option<FaultEntry> {
    if !entry.is_object() {
        return None;
    }
    let text = |first: &str, second: &str| -> String {
        match get_either(entry, first, second) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        }
    };
    let element = text("element", "Element");
    Some(FaultEntry {
        code: text("code", "Code"),
        message: text("Message", "message"),
        detail: text("Detail", "detail"),
        element: (!element.trim().is_empty()).then_some(element),
    })
}

/// Which text field of an XML `Error` is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum XmlField {
    Message,
    Detail,
}

fn parse_xml_fault(text: &str) -> Result<ParsedFault, UnreadableFault> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut fault: Option<ParsedFault> = None;
    let mut entry: Option<FaultEntry> = None;
    let mut field: Option<XmlField> = None;
    // Elements opened and not yet closed: a body that ends inside one was cut.
    let mut depth: usize = 0;
    let malformed =
        |error: &dyn fmt::Display| UnreadableFault(format!("the XML body is malformed ({error})"));
    loop {
        let event = reader.read_event().map_err(|error| malformed(&error))?;
        match event {
            Event::Start(start) => {
                depth += 1;
                open_xml_element(&start, false, &mut fault, &mut entry, &mut field);
            }
            Event::Empty(start) => {
                open_xml_element(&start, true, &mut fault, &mut entry, &mut field);
            }
            Event::End(end) => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    UnreadableFault("the XML body closes an element it never opened".to_owned())
                })?;
                close_xml_element(
                    end.local_name().as_ref(),
                    &mut fault,
                    &mut entry,
                    &mut field,
                );
            }
            Event::Text(content) => {
                append_field(&mut entry, field, &content.xml10_content());
            }
            Event::CData(content) => {
                append_field(&mut entry, field, &content.xml10_content());
            }
            Event::GeneralRef(reference) => {
                let resolved: Cow<'_, str> = match reference.resolve_char_ref() {
                    Ok(Some(character)) => Cow::Owned(character.to_string()),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&reference) {
                        Some(replacement) => Cow::Borrowed(replacement),
                        None => Cow::Owned(format!("&{};", &*reference)),
                    },
                    Err(error) => return Err(malformed(&error)),
                };
                append_field(&mut entry, field, &resolved);
            }
            Event::Eof if depth > 0 => {
                return Err(UnreadableFault(
                    "the XML body ends before its elements are closed".to_owned(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    fault.ok_or_else(|| UnreadableFault("the XML body has no Fault element".to_owned()))
}

/// Handles an opening (or self-closing, `is_empty`) tag: starts the fault,
/// an error entry, or the capture of a message or detail text.
fn open_xml_element(
    start: &BytesStart<'_>,
    is_empty: bool,
    fault: &mut Option<ParsedFault>,
    entry: &mut Option<FaultEntry>,
    field: &mut Option<XmlField>,
) {
    match start.local_name().as_ref() {
        "Fault" if fault.is_none() => {
            *fault = Some(ParsedFault {
                fault_type: xml_attribute(start, "type"),
                errors: Vec::new(),
            });
        }
        "Error" if fault.is_some() && entry.is_none() => {
            let new_entry = FaultEntry {
                code: xml_attribute(start, "code").unwrap_or_default(),
                element: xml_attribute(start, "element")
                    .filter(|element| !element.trim().is_empty()),
                ..FaultEntry::default()
            };
            if is_empty {
                push_entry(fault, new_entry);
            } else {
                *entry = Some(new_entry);
            }
        }
        "Message" if entry.is_some() && !is_empty => *field = Some(XmlField::Message),
        "Detail" if entry.is_some() && !is_empty => *field = Some(XmlField::Detail),
        _ => {}
    }
}

/// Handles a closing tag: ends a message or detail text, or an error entry.
fn close_xml_element(
    name: &str,
    fault: &mut Option<ParsedFault>,
    entry: &mut Option<FaultEntry>,
    field: &mut Option<XmlField>,
) {
    match name {
        "Message" | "Detail" => *field = None,
        "Error" => {
            if let Some(done) = entry.take() {
                push_entry(fault, done);
            }
            *field = None;
        }
        _ => {}
    }
}

fn push_entry(fault: &mut Option<ParsedFault>, entry: FaultEntry) {
    if let Some(fault) = fault {
        fault.errors.push(entry);
    }
}

fn append_field(entry: &mut Option<FaultEntry>, field: Option<XmlField>, text: &str) {
    let (Some(entry), Some(field)) = (entry, field) else {
        return;
    };
    match field {
        XmlField::Message => entry.message.push_str(text),
        XmlField::Detail => entry.detail.push_str(text),
    }
}

fn xml_attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.local_name().as_ref() == name)
        .and_then(|attribute| {
            attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(Cow::into_owned)
        })
}

/// The start of a body, cut at a character boundary, for error messages.
fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Reads a `Retry-After` header value in seconds, capped at [`MAX_THROTTLE_WAIT`].
/// An HTTP date or a broken value gives `None` (the caller then waits the
/// default minute).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_THROTTLE_WAIT))
}

/// The error for a failed HTTP answer from the Accounting API: `status`, the
/// raw `body`, the `intuit_tid` header and the `Retry-After` header (parsed).
pub fn error_from_response(
    status: u16,
    body: &[u8],
    intuit_tid: Option<&str>,
    retry_after: Option<Duration>,
) -> QboError {
    match parse_fault_body(body) {
        Ok(fault) if fault.errors.is_empty() => error_without_fault(
            status,
            "the fault body lists no errors",
            intuit_tid,
            retry_after,
        ),
        Ok(fault) => classify_fault(status, &fault, intuit_tid, retry_after),
        Err(unreadable) => error_without_fault(status, &unreadable.0, intuit_tid, retry_after),
    }
}

/// The error for an answer whose body held no readable fault: the status
/// alone decides.
fn error_without_fault(
    status: u16,
    problem: &str,
    intuit_tid: Option<&str>,
    retry_after: Option<Duration>,
) -> QboError {
    let tid = intuit_tid.map(str::to_owned);
    let message = format!("HTTP {status}; {problem}");
    match status {
        429 => QboError::Throttled {
            retry_after: retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT),
            message,
            intuit_tid: tid,
        },
        401 => QboError::AuthExpired {
            message,
            intuit_tid: tid,
        },
        500..=599 => QboError::Transient {
            status: Some(status),
            message,
            intuit_tid: tid,
        },
        _ => QboError::Protocol {
            status: Some(status),
            message,
            intuit_tid: tid,
        },
    }
}

/// What a single fault code asks for, when the code alone decides.
fn kind_of_code(code: &str) -> Option<ErrorKind> {
    let code = code.trim().trim_start_matches('0');
    match code {
        "5010" => Some(ErrorKind::Stale),
        "610" => Some(ErrorKind::NotFound),
        "3001" => Some(ErrorKind::Throttled),
        "3200" | "100" | "110" => Some(ErrorKind::AuthExpired),
        "3100" => Some(ErrorKind::ReconnectNeeded),
        "6190" | "120" => Some(ErrorKind::SubscriptionLapsed),
        // 140 "company locked out" and 150 "under maintenance" pass with time.
        "140" | "150" => Some(ErrorKind::Transient),
        _ => match code.parse::<u64>() {
            Ok(number) if number >= 10_000 => Some(ErrorKind::Transient),
            _ => None,
        },
    }
}

/// Sorts a parsed fault into a [`QboError`]. The first error whose code
/// decides the kind wins (5010 anywhere in the list is a stale object);
/// otherwise the status decides, and any other 4xx is a validation error
/// naming the first entry.
pub fn classify_fault(
    status: u16,
    fault: &ParsedFault,
    intuit_tid: Option<&str>,
    retry_after: Option<Duration>,
) -> QboError {
    let tid = intuit_tid.map(str::to_owned);
    let by_code = fault
        .errors
        .iter()
        .find_map(|entry| kind_of_code(&entry.code).map(|kind| (kind, entry)));
    let first = fault.errors.first().cloned().unwrap_or_default();
    let is_system_fault = fault
        .fault_type
        .as_deref()
        .is_some_and(|fault_type| fault_type.eq_ignore_ascii_case("SystemFault"));
    let (kind, entry) = match by_code {
        Some((kind, entry)) => (kind, entry.clone()),
        None => {
            let kind = match status {
                429 => ErrorKind::Throttled,
                401 => ErrorKind::AuthExpired,
                403 => ErrorKind::ReconnectNeeded,
                500..=599 => ErrorKind::Transient,
                _ if is_system_fault => ErrorKind::Transient,
                _ => ErrorKind::Validation,
            };
            (kind, first)
        }
    };
    let mut message = joined(&entry.message, &entry.detail);
    if message.is_empty() {
        message = format!("HTTP {status} with an empty fault");
    }
    match kind {
        ErrorKind::Stale => QboError::Stale {
            message,
            intuit_tid: tid,
        },
        ErrorKind::NotFound => QboError::NotFound {
            message,
            intuit_tid: tid,
        },
        ErrorKind::Throttled => QboError::Throttled {
            retry_after: retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT),
            message,
            intuit_tid: tid,
        },
        ErrorKind::AuthExpired => QboError::AuthExpired {
            message: redact_tokens(&message),
            intuit_tid: tid,
        },
        ErrorKind::ReconnectNeeded => QboError::ReconnectNeeded {
            message: redact_tokens(&message),
            intuit_tid: tid,
        },
        ErrorKind::SubscriptionLapsed => QboError::SubscriptionLapsed {
            code: entry.code.trim().to_owned(),
            message,
            intuit_tid: tid,
        },
        ErrorKind::Transient => QboError::Transient {
            status: Some(status),
            message,
            intuit_tid: tid,
        },
        ErrorKind::Protocol => QboError::Protocol {
            status: Some(status),
            message,
            intuit_tid: tid,
        },
        ErrorKind::Validation => QboError::Validation {
            code: entry.code.trim().to_owned(),
            element: entry.element,
            message: entry.message,
            detail: entry.detail,
            intuit_tid: tid,
        },
    }
}

/// The error for a failed answer from Intuit's OAuth token endpoint
/// (`{"error": …, "error_description": …}`, API.md §2.5).
pub fn error_from_oauth_response(status: u16, body: &[u8], intuit_tid: Option<&str>) -> QboError {
    let tid = intuit_tid.map(str::to_owned);
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(error), description) = (field("error"), field("error_description")) else {
        let problem = match std::str::from_utf8(body) {
            Ok(text) if !text.trim().is_empty() => {
                format!(
                    "the token endpoint's answer has no error field: {}",
                    excerpt(text.trim())
                )
            }
            _ => "the token endpoint's answer is empty or not text".to_owned(),
        };
        return error_without_fault(status, &problem, intuit_tid, None);
    };
    let description = description.unwrap_or_default();
    let message = redact_tokens(&joined(&error, &description));
    match (error.as_str(), status) {
        ("invalid_grant", _) => QboError::ReconnectNeeded {
            message,
            intuit_tid: tid,
        },
        (_, 500..=599) => QboError::Transient {
            status: Some(status),
            message,
            intuit_tid: tid,
        },
        (_, 429) => QboError::Throttled {
            retry_after: DEFAULT_THROTTLE_WAIT,
            message,
            intuit_tid: tid,
        },
        _ => QboError::Validation {
            code: error,
            element: None,
            message: "the token endpoint refused the request".to_owned(),
            detail: description,
            intuit_tid: tid,
        },
    }
}

/// Replaces anything that looks like a token (a run of 20 or more letters,
/// digits, `.`, `-` or `_`, with both letters and digits) with `[redacted]`: Intuit's 401 detail quotes the start of the
/// rejected access token, and tokens must never reach a log line.
fn redact_tokens(text: &str) -> String {
    let is_token_char =
        |character: char| character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let looks_like_token = run.len() >= 20
            && run.chars().any(|character| character.is_ascii_digit())
            && run.chars().any(|character| character.is_ascii_alphabetic());
        if looks_like_token {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for character in text.chars() {
        if is_token_char(character) {
            run.push(character);
        } else {
            flush(&mut run, &mut out);
            out.push(character);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_without_repeating() {
        assert_eq!(
            joined("Stale Object Error", "Stale Object Error : x"),
            "Stale Object Error : x"
        );
        assert_eq!(joined("A", "B"), "A: B");
        assert_eq!(joined("A", ""), "A");
        assert_eq!(joined("", "B"), "B");
    }

    #[test]
    fn redacts_token_like_runs_only() {
        let text = "Token expired: AB01730024136xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; code 3200";
        assert_eq!(redact_tokens(text), "Token expired: [redacted]; code 3200");
        assert_eq!(
            redact_tokens("message=AuthenticationFailed; errorCode=003200"),
            "message=AuthenticationFailed; errorCode=003200"
        );
    }

    #[test]
    fn retry_after_is_seconds_and_capped() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("999999999999"), Some(MAX_THROTTLE_WAIT));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn codes_with_leading_zeros_are_recognised() {
        assert_eq!(kind_of_code("003001"), Some(ErrorKind::Throttled));
        assert_eq!(kind_of_code("10000"), Some(ErrorKind::Transient));
        assert_eq!(kind_of_code("6000"), None);
        assert_eq!(kind_of_code("0"), None);
    }
}
