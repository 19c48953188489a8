//! The fault parser against every fault sample of QBO, the shapes the
//! emulator sends, broken bodies, and arbitrary bytes.

use std::time::Duration;

use proptest::prelude::*;
use qbo_client::error::{
    DEFAULT_THROTTLE_WAIT, ErrorKind, QboError, error_from_oauth_response, error_from_response,
    parse_fault_body,
};

const FAULT_2500: &str = include_str!("fixtures/fault-2500.json");
const FAULT_6240: &str = include_str!("fixtures/fault-6240.json");
const FAULT_3200: &str = include_str!("fixtures/fault-3200-lowercase-401.json");
const FAULT_429_XML: &str = include_str!("fixtures/fault-429-throttle.xml");
const FAULT_3001_403_XML: &str = include_str!("fixtures/fault-3001-throttle-403-legacy.xml");
const OAUTH_FAILURE: &str = include_str!("fixtures/oauth-failure-generic.json");

const TID: Option<&str> = Some("1-5f2c-test-tid");

#[test]
fn invalid_reference_2500_is_a_validation_error() {
    let error = error_from_response(400, FAULT_2500.as_bytes(), TID, None);
    let QboError::Validation {
        code,
        element,
        message,
        detail,
        intuit_tid,
    } = &error
    else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(code, "2500");
    assert_eq!(element, &None);
    assert_eq!(message, "Invalid Reference Id");
    assert!(detail.starts_with("Something you're trying to use has been made inactive."));
    assert_eq!(intuit_tid.as_deref(), TID);
    let shown = error.to_string();
    assert!(
        shown.contains("2500") && shown.contains("1-5f2c-test-tid"),
        "{shown}"
    );
}

#[test]
fn duplicate_name_6240_keeps_the_detail_and_drops_the_empty_element() {
    let error = error_from_response(400, FAULT_6240.as_bytes(), None, None);
    let QboError::Validation {
        code,
        element,
        detail,
        ..
    } = &error
    else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(code, "6240");
    assert_eq!(element, &None, "an empty element names no field");
    assert!(detail.contains("Another tax rate is already using this \nname."));
    assert_eq!(error.intuit_tid(), None);
}

#[test]
fn gateway_401_is_auth_expired_without_the_token_fragment() {
    let error = error_from_response(401, FAULT_3200.as_bytes(), TID, None);
    assert_eq!(error.kind(), ErrorKind::AuthExpired);
    assert!(error.message().contains("AuthenticationFailed"), "{error}");
    assert!(error.message().contains("Token expired"), "{error}");
    assert!(
        !error.message().contains("AB01730024136"),
        "a token fragment leaked: {error}"
    );
    assert_eq!(error.intuit_tid(), TID);
}

#[test]
fn xml_throttle_429_is_throttled_for_a_minute_unless_told_otherwise() {
    let parsed = parse_fault_body(FAULT_429_XML.as_bytes()).expect("the XML sample parses");
    assert_eq!(parsed.fault_type.as_deref(), Some("SERVICE"));
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].code, "3001");
    assert_eq!(
        parsed.errors[0].message,
        "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    );
    assert_eq!(
        parsed.errors[0].detail,
        "The request limit was reached.  Try again later"
    );

    let error = error_from_response(429, FAULT_429_XML.as_bytes(), TID, None);
    let QboError::Throttled { retry_after, .. } = &error else {
        panic!("expected throttling, got {error:?}");
    };
    assert_eq!(*retry_after, DEFAULT_THROTTLE_WAIT);
    assert_eq!(*retry_after, Duration::from_secs(60));

    let told = error_from_response(
        429,
        FAULT_429_XML.as_bytes(),
        TID,
        Some(Duration::from_secs(7)),
    );
    assert!(
        matches!(told, QboError::Throttled { retry_after, .. } if retry_after == Duration::from_secs(7))
    );
}

#[test]
fn legacy_403_throttle_is_throttled_by_its_code() {
    let error = error_from_response(403, FAULT_3001_403_XML.as_bytes(), None, None);
    assert_eq!(error.kind(), ErrorKind::Throttled, "{error:?}");
    assert!(error.message().contains("statusCode=403"));
}

#[test]
fn emulator_shaped_faults_map_to_their_kinds() {
    let fault = |code: &str, kind: &str| {
        format!(
            r#"{{"Fault":{{"Error":[{{"Message":"m{code}","Detail":"d{code}","code":"{code}","element":""}}],"type":"{kind}"}},"time":"2025-03-14T10:30:00.000-07:00"}}"#
        )
    };
    let cases = [
        (400, fault("5010", "ValidationFault"), ErrorKind::Stale),
        (400, fault("610", "ValidationFault"), ErrorKind::NotFound),
        (
            400,
            fault("6190", "ValidationFault"),
            ErrorKind::SubscriptionLapsed,
        ),
        (
            401,
            fault("120", "AuthorizationFault"),
            ErrorKind::SubscriptionLapsed,
        ),
        (403, fault("3100", "SERVICE"), ErrorKind::ReconnectNeeded),
        (500, fault("10000", "SystemFault"), ErrorKind::Transient),
        (400, fault("6000", "ValidationFault"), ErrorKind::Validation),
        (400, fault("2020", "ValidationFault"), ErrorKind::Validation),
        (503, fault("6000", "ValidationFault"), ErrorKind::Transient),
    ];
    for (status, body, kind) in cases {
        let error = error_from_response(status, body.as_bytes(), TID, None);
        assert_eq!(error.kind(), kind, "{status} {body}");
        assert_eq!(error.intuit_tid(), TID);
    }
}

#[test]
fn stale_object_carries_message_and_tid() {
    let body = r#"{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.","code":"5010","element":""}],"type":"ValidationFault"},"time":"2025-03-14T10:30:00.000-07:00"}"#;
    let error = error_from_response(400, body.as_bytes(), Some("1-abc"), None);
    let QboError::Stale {
        message,
        intuit_tid,
    } = &error
    else {
        panic!("expected stale, got {error:?}");
    };
    assert!(message.starts_with("Stale Object Error : You and root"));
    assert_eq!(intuit_tid.as_deref(), Some("1-abc"));
    assert!(error.to_string().contains("intuit_tid 1-abc"));
}

#[test]
fn a_stale_error_anywhere_in_the_list_wins() {
    let body = r#"{"Fault":{"Error":[{"Message":"other","Detail":"x","code":"6000"},{"Message":"Stale Object Error","Detail":"y","code":"5010"}],"type":"ValidationFault"}}"#;
    let error = error_from_response(400, body.as_bytes(), None, None);
    assert_eq!(error.kind(), ErrorKind::Stale);
}

#[test]
fn xml_fault_with_element_entities_and_cdata() {
    let body = r#"<?xml version="1.0"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2025-03-14T10:30:00.000-07:00">
  <Fault type="ValidationFault">
    <Error code="2050" element="DocNumber">
      <Message>String length is either shorter or longer than supported</Message>
      <Detail>a &lt; b &amp; &#x41;&#66; <![CDATA[<raw>]]> &custom;</Detail>
    </Error>
    <Error code="6000"/>
  </Fault>
</IntuitResponse>"#;
    let parsed = parse_fault_body(body.as_bytes()).expect("parses");
    assert_eq!(parsed.errors.len(), 2);
    assert_eq!(parsed.errors[0].element.as_deref(), Some("DocNumber"));
    assert_eq!(parsed.errors[0].detail, "a < b & AB <raw> &custom;");
    assert_eq!(parsed.errors[1].code, "6000");
    let error = error_from_response(400, body.as_bytes(), None, None);
    assert!(
        matches!(&error, QboError::Validation { code, element: Some(element), .. } if code == "2050" && element == "DocNumber"),
        "{error:?}"
    );
}

#[test]
fn broken_bodies_become_protocol_or_transient_errors() {
    let half = br#"{"Fault":{"Error":[{"Message":"Stale"#;
    let error = error_from_response(400, half, TID, None);
    let QboError::Protocol {
        status, message, ..
    } = &error
    else {
        panic!("expected a protocol error, got {error:?}");
    };
    assert_eq!(*status, Some(400));
    assert!(message.contains("malformed"), "{message}");
    assert_eq!(error.intuit_tid(), TID);

    // A gateway's HTML page on a 503 is still a server error worth retrying.
    let html = b"<!DOCTYPE html>\n<html><body><h1>Service Unavailable</h1></body></html>";
    let error = error_from_response(503, html, None, None);
    assert!(
        matches!(
            error,
            QboError::Transient {
                status: Some(503),
                ..
            }
        ),
        "{error:?}"
    );
    // The same page on a 404 is not something we can act on.
    assert_eq!(
        error_from_response(404, html, None, None).kind(),
        ErrorKind::Protocol
    );
    // JSON without a Fault, invalid UTF-8, nothing at all.
    for body in [
        &b"{\"QueryResponse\":{}}"[..],
        &[0xff, 0xfe, 0x00][..],
        b"",
        b"   ",
    ] {
        assert_eq!(
            error_from_response(400, body, None, None).kind(),
            ErrorKind::Protocol
        );
    }
    // A 429 is throttling whatever its body says.
    assert_eq!(
        error_from_response(429, b"slow down", None, None).kind(),
        ErrorKind::Throttled
    );
    // Unclosed XML.
    let error = error_from_response(
        400,
        b"<IntuitResponse><Fault><Error code=\"1\">",
        None,
        None,
    );
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error:?}");
}

#[test]
fn oauth_errors() {
    let invalid_grant = br#"{"error":"invalid_grant","error_description":"Token invalid"}"#;
    let error = error_from_oauth_response(400, invalid_grant, TID);
    assert_eq!(error.kind(), ErrorKind::ReconnectNeeded);
    assert!(error.message().contains("Token invalid"));
    assert_eq!(error.intuit_tid(), TID);

    let error = error_from_oauth_response(400, OAUTH_FAILURE.as_bytes(), None);
    assert!(
        matches!(&error, QboError::Validation { code, detail, .. } if code == "error" && detail == "error_description"),
        "{error:?}"
    );
    assert_eq!(
        error_from_oauth_response(502, b"<html>bad gateway</html>", None).kind(),
        ErrorKind::Transient
    );
    assert_eq!(
        error_from_oauth_response(400, b"not json", None).kind(),
        ErrorKind::Protocol
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_give_an_error_and_never_panic(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let error = error_from_response(status, &body, Some("tid"), None);
        prop_assert_eq!(error.intuit_tid(), Some("tid"));
        prop_assert!(!error.to_string().is_empty());
        let _ = error_from_oauth_response(status, &body, None);
    }

    #[test]
    fn fault_like_text_never_panics(
        prefix in prop_oneof![
            Just("{\"Fault\":"),
            Just("{\"fault\":{\"error\":"),
            Just("<IntuitResponse><Fault type=\"x\"><Error code=\""),
            Just("<Fault><Error><Detail>"),
        ],
        rest in "\\PC{0,200}",
    ) {
        let body = format!("{prefix}{rest}");
        let error = error_from_response(400, body.as_bytes(), None, None);
        prop_assert!(!error.message().is_empty() || error.kind() == ErrorKind::Validation);
    }
}
