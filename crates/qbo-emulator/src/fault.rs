//! Intuit's error envelope.
//!
//! The data service answers a failed request with `{"Fault":{"Error":[…],"type":…},"time":…}`
//! (or the `IntuitResponse` XML equivalent when the client asks for XML). The OAuth
//! gateway in front of it answers authentication failures with a different,
//! lower-case body (`{"fault":{"error":[…],"type":"AUTHENTICATION"},…}` with an
//! epoch-millisecond `time`), so a [`Fault`] knows which of the two shapes it takes.

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

/// One `Error` entry of a fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultError {
    /// The short message, e.g. "Stale Object Error".
    pub message: String,
    /// The specific explanation.
    pub detail: String,
    /// The numeric code, as a string on the wire.
    pub code: String,
    /// The offending field, often empty.
    pub element: String,
}

/// Which body shape the fault is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultShape {
    /// The data service's `Fault` envelope with an ISO `time`.
    DataService,
    /// The gateway's lower-case envelope with an epoch-millisecond `time`
    /// (authentication failures, samples/fault-3200-lowercase-401.json).
    Gateway,
    /// Always XML whatever the client asked for (QBO's throttling answer).
    XmlOnly,
}

/// A QBO fault: HTTP status, fault type and one or more errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The HTTP status the fault is sent with (200 inside a batch item).
    pub status: StatusCode,
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `SERVICE`, …
    pub fault_type: String,
    /// The errors, at least one.
    pub errors: Vec<FaultError>,
    /// How the body is laid out.
    pub shape: FaultShape,
}

/// The generic text QBO puts in front of business-rule failures.
pub const BUSINESS_VALIDATION_MESSAGE: &str =
    "A business validation error has occurred while processing your request";

const INACTIVE_REFERENCE_DETAIL: &str = "Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";

impl Fault {
    /// A fault with one error of the given type and status.
    pub fn new(
        status: StatusCode,
        fault_type: &str,
        code: &str,
        message: &str,
        detail: impl Into<String>,
    ) -> Fault {
        Fault {
            status,
            fault_type: fault_type.to_owned(),
            errors: vec![FaultError {
                message: message.to_owned(),
                detail: detail.into(),
                code: code.to_owned(),
                element: String::new(),
            }],
            shape: FaultShape::DataService,
        }
    }

    /// A `ValidationFault` sent with HTTP 400, the usual answer to a bad write.
    pub fn validation(code: &str, message: &str, detail: impl Into<String>) -> Fault {
        Fault::new(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            code,
            message,
            detail,
        )
    }

    /// Names the offending field in every error.
    pub fn with_element(mut self, element: &str) -> Fault {
        for error in &mut self.errors {
            error.element = element.to_owned();
        }
        self
    }

    /// The code of the first error (faults always have one).
    pub fn code(&self) -> &str {
        self.errors.first().map_or("", |error| error.code.as_str())
    }

    /// 6000: a business rule was broken; the detail says which.
    pub fn business(detail: impl Into<String>) -> Fault {
        let detail = detail.into();
        Fault::validation(
            "6000",
            BUSINESS_VALIDATION_MESSAGE,
            format!("Business Validation Error: {detail}"),
        )
    }

    /// 2020: a required field is missing.
    pub fn required(field: &str) -> Fault {
        Fault::validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            format!("Required parameter {field} is missing in the request"),
        )
        .with_element(field)
    }

    /// 2010: a property the entity does not have, or a value of the wrong kind.
    pub fn invalid_property(detail: impl Into<String>) -> Fault {
        Fault::validation(
            "2010",
            "Request has invalid or unsupported property",
            detail,
        )
    }

    /// 2050-style invalid value for a known field.
    pub fn invalid_value(field: &str, detail: impl Into<String>) -> Fault {
        let detail = detail.into();
        Fault::validation(
            "2090",
            "Invalid Number",
            format!("Invalid Number : {field} : {detail}"),
        )
        .with_element(field)
    }

    /// 610: the object does not exist (never created, or hard-deleted).
    pub fn object_not_found(entity: &str, id: &str) -> Fault {
        Fault::validation(
            "610",
            "Object Not Found",
            format!(
                "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. ({entity} {id})"
            ),
        )
    }

    /// 610 for a reference to a name-list object that has been made inactive,
    /// worded as in samples/batch-response.json.
    pub fn inactive_reference(field: &str) -> Fault {
        Fault::validation(
            "610",
            "Object Not Found",
            format!("Object Not Found : {INACTIVE_REFERENCE_DETAIL}"),
        )
        .with_element(field)
    }

    /// 2500: a reference id that names no object of the expected kind.
    pub fn invalid_reference(field: &str, id: &str) -> Fault {
        Fault::validation(
            "2500",
            "Invalid Reference Id",
            format!("Invalid Reference Id : {field} {id} : {INACTIVE_REFERENCE_DETAIL}"),
        )
        .with_element(field)
    }

    /// 5010: the SyncToken sent is not the current one.
    pub fn stale_object() -> Fault {
        Fault::validation(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.",
        )
    }

    /// 6240: the name is taken (customers, vendors and employees share names).
    pub fn duplicate_name(what: &str) -> Fault {
        Fault::validation(
            "6240",
            "Duplicate Name Exists Error",
            format!(
                "The name supplied already exists. : Another {what} is already using this name. Please use a different name."
            ),
        )
    }

    /// 500 Unsupported Operation (sent with HTTP 400, as QBO does).
    pub fn unsupported_operation(detail: impl Into<String>) -> Fault {
        Fault::validation("500", "Unsupported Operation", detail)
    }

    /// 4000: the query could not be parsed.
    pub fn query_parse(message: &str, detail: &str) -> Fault {
        let message = if message.is_empty() {
            "Error parsing query"
        } else {
            message
        };
        Fault::validation("4000", message, detail)
    }

    /// The gateway's 401 for a missing, unknown, expired or revoked token.
    pub fn authentication(detail: impl Into<String>) -> Fault {
        Fault {
            status: StatusCode::UNAUTHORIZED,
            fault_type: "AUTHENTICATION".to_owned(),
            errors: vec![FaultError {
                message: "message=AuthenticationFailed; errorCode=003200; statusCode=401"
                    .to_owned(),
                detail: detail.into(),
                code: "3200".to_owned(),
                element: String::new(),
            }],
            shape: FaultShape::Gateway,
        }
    }

    /// The gateway's 403 when the token is valid but not for this company.
    pub fn authorization(detail: impl Into<String>) -> Fault {
        Fault {
            status: StatusCode::FORBIDDEN,
            fault_type: "SERVICE".to_owned(),
            errors: vec![FaultError {
                message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
                    .to_owned(),
                detail: detail.into(),
                code: "3100".to_owned(),
                element: String::new(),
            }],
            shape: FaultShape::Gateway,
        }
    }

    /// QBO's throttling answer: HTTP 429 with an XML body whatever was asked for.
    pub fn throttled() -> Fault {
        Fault {
            status: StatusCode::TOO_MANY_REQUESTS,
            fault_type: "SERVICE".to_owned(),
            errors: vec![FaultError {
                message: "message=ThrottleExceeded; errorCode=003001; statusCode=429".to_owned(),
                detail: "The request limit was reached.  Try again later".to_owned(),
                code: "3001".to_owned(),
                element: String::new(),
            }],
            shape: FaultShape::XmlOnly,
        }
    }

    /// A `SystemFault` (HTTP 500), the answer to an internal error.
    pub fn system(detail: impl Into<String>) -> Fault {
        Fault::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SystemFault",
            "10000",
            "An application error has occurred while processing your request",
            detail,
        )
    }

    /// The `Fault` object alone, as it sits in a response or a batch item.
    pub fn fault_object(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|error| {
                json!({
                    "Message": error.message,
                    "Detail": error.detail,
                    "code": error.code,
                    "element": error.element,
                })
            })
            .collect();
        json!({ "Error": errors, "type": self.fault_type })
    }

    /// The JSON body, in the shape this fault takes.
    pub fn to_json(&self, now: DateTime<FixedOffset>) -> Value {
        match self.shape {
            FaultShape::Gateway => {
                let errors: Vec<Value> = self
                    .errors
                    .iter()
                    .map(|error| {
                        json!({
                            "message": error.message,
                            "detail": error.detail,
                            "code": error.code,
                            "element": Value::Null,
                        })
                    })
                    .collect();
                json!({
                    "warnings": null,
                    "intuitObject": null,
                    "fault": { "error": errors, "type": self.fault_type },
                    "report": null,
                    "queryResponse": null,
                    "batchItemResponse": [],
                    "attachableResponse": [],
                    "syncErrorResponse": null,
                    "requestId": null,
                    "time": now.with_timezone(&Utc).timestamp_millis(),
                    "status": null,
                    "cdcresponse": [],
                })
            }
            FaultShape::DataService | FaultShape::XmlOnly => json!({
                "Fault": self.fault_object(),
                "time": crate::state::format_response_time(now),
            }),
        }
    }

    /// The `IntuitResponse` XML body.
    pub fn to_xml(&self, now: DateTime<FixedOffset>) -> String {
        let mut xml =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
        xml.push_str(&format!(
            "<IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\" time=\"{}\">\n",
            crate::state::format_response_time(now)
        ));
        xml.push_str(&format!(
            "  <Fault type=\"{}\">\n",
            escape_xml(&self.fault_type)
        ));
        for error in &self.errors {
            if error.element.is_empty() {
                xml.push_str(&format!(
                    "    <Error code=\"{}\">\n",
                    escape_xml(&error.code)
                ));
            } else {
                xml.push_str(&format!(
                    "    <Error code=\"{}\" element=\"{}\">\n",
                    escape_xml(&error.code),
                    escape_xml(&error.element)
                ));
            }
            xml.push_str(&format!(
                "      <Message>{}</Message>\n      <Detail>{}</Detail>\n    </Error>\n",
                escape_xml(&error.message),
                escape_xml(&error.detail)
            ));
        }
        xml.push_str("  </Fault>\n</IntuitResponse>\n");
        xml
    }

    /// Whether the body is XML for a client that asked for `wants_xml`.
    pub fn renders_as_xml(&self, wants_xml: bool) -> bool {
        match self.shape {
            FaultShape::XmlOnly => true,
            FaultShape::Gateway => false,
            FaultShape::DataService => wants_xml,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.errors.first() {
            Some(error) => write!(
                formatter,
                "{} {}: {} ({})",
                self.fault_type, error.code, error.message, error.detail
            ),
            None => write!(formatter, "{}", self.fault_type),
        }
    }
}

impl std::error::Error for Fault {}

/// Escapes text for an XML element or attribute.
pub fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn noon() -> DateTime<FixedOffset> {
        let offset = FixedOffset::west_opt(7 * 3600).unwrap();
        offset.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn data_service_fault_has_intuit_keys() {
        let body = Fault::stale_object().to_json(noon());
        let error = &body["Fault"]["Error"][0];
        assert_eq!(error["code"], "5010");
        assert_eq!(body["Fault"]["type"], "ValidationFault");
        assert_eq!(body["time"], "2024-05-01T12:00:00.000-07:00");
    }

    #[test]
    fn gateway_fault_is_lower_case_with_epoch_time() {
        let body = Fault::authentication("Token expired").to_json(noon());
        assert_eq!(body["fault"]["error"][0]["code"], "3200");
        assert_eq!(body["fault"]["type"], "AUTHENTICATION");
        assert!(body["time"].is_i64());
        assert!(body.get("Fault").is_none());
    }

    #[test]
    fn xml_fault_escapes_text() {
        let xml = Fault::business("a < b & \"c\"").to_xml(noon());
        assert!(xml.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(xml.contains("<Error code=\"6000\">"));
        assert!(xml.contains("time=\"2024-05-01T12:00:00.000-07:00\""));
    }
}
