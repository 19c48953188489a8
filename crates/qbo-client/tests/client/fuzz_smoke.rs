//! The fuzz targets (crates/qbo-client/fuzz) as property tests that run on
//! stable in the ordinary test command: arbitrary bytes, and structure-aware
//! mutations of the real samples, through the webhook and fault parsers. The
//! properties: nothing panics, a body signed with a token verifies with it and
//! not once changed, and a notice's fields come from the body.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use qbo_client::error::{classify_fault, error_from_response, parse_fault_body};
use qbo_client::webhooks::{parse_notification, sign, verify_signature};
use qbo_client::{ChangeNotice, WebhookError};
use serde_json::{Map, Number, Value};

const WEBHOOK_SEEDS: [&str; 3] = [
    include_str!("../../fuzz/seeds/webhook-legacy.json"),
    include_str!("../../fuzz/seeds/webhook-cloudevents.json"),
    include_str!("../../fuzz/seeds/webhook-cloudevents-nodata.json"),
];

const FAULT_SEEDS: [&str; 7] = [
    include_str!("../../fuzz/seeds/fault-2500.json"),
    include_str!("../../fuzz/seeds/fault-6240.json"),
    include_str!("../../fuzz/seeds/fault-3200-lowercase-401.json"),
    include_str!("../../fuzz/seeds/fault-429-throttle.xml"),
    include_str!("../../fuzz/seeds/fault-3001-throttle-403-legacy.xml"),
    include_str!("../../fuzz/seeds/batch-response.json"),
    include_str!("../../fuzz/seeds/cdc-response.json"),
];

/// Small JSON values of every kind, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| Value::Number(Number::from(number))),
        "[ -~]{0,12}".prop_map(Value::String),
        // Strings that look like the fields they may replace.
        prop_oneof![
            Just("qbo.customer.created.v1"),
            Just("qbo..v1"),
            Just("qbo.a.b.c.d"),
            Just("2015-10-05T14:42:19-0700"),
            Just("2025-12-04T15:25:05Z"),
            Just("9999-99-99T99:99:99Z"),
            Just(""),
            Just("Merge"),
        ]
        .prop_map(|text| Value::String(text.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,8}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One edit of a JSON tree: at the node numbered `target` (pre-order, modulo
/// the node count), apply `kind` with `value`.
#[derive(Clone, Debug)]
struct Mutation {
    target: usize,
    kind: u8,
    value: Value,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (any::<usize>(), 0u8..6, json_value()).prop_map(|(target, kind, value)| Mutation {
        target,
        kind,
        value,
    })
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(members) => members.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies `mutation` to the node numbered `*remaining`; returns true once done.
fn apply(value: &mut Value, remaining: &mut usize, mutation: &Mutation) -> bool {
    if *remaining == 0 {
        match mutation.kind {
            // Replace the node.
            0 => *value = mutation.value.clone(),
            // Drop a member or element.
            1 => match value {
                Value::Object(members) => {
                    if let Some(key) = members.keys().next().cloned() {
                        members.remove(&key);
                    }
                }
                Value::Array(items) => {
                    items.pop();
                }
                _ => *value = Value::Null,
            },
            // Duplicate the first element, or add a member.
            2 => match value {
                Value::Array(items) => {
                    if let Some(first) = items.first().cloned() {
                        items.push(first);
                    }
                }
                Value::Object(members) => {
                    members.insert("extra".to_owned(), mutation.value.clone());
                }
                _ => {}
            },
            // Wrap in an array.
            3 => *value = Value::Array(vec![value.take()]),
            // Turn into its own text.
            4 => *value = Value::String(value.to_string()),
            // Reverse the order of elements.
            _ => {
                if let Value::Array(items) = value {
                    items.reverse();
                }
            }
        }
        return true;
    }
    *remaining -= 1;
    match value {
        Value::Array(items) => items
            .iter_mut()
            .any(|item| apply(item, remaining, mutation)),
        Value::Object(members) => members
            .values_mut()
            .any(|member| apply(member, remaining, mutation)),
        _ => false,
    }
}

fn mutated(seed: &str, mutations: &[Mutation]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_str::<Value>(seed) else {
        return seed.as_bytes().to_vec();
    };
    for mutation in mutations {
        let mut remaining = mutation.target % count_nodes(&value);
        apply(&mut value, &mut remaining, mutation);
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Every string (trimmed) and number (as text) in a JSON tree.
fn collect_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::String(text) => texts.push(text.trim().to_owned()),
        Value::Number(number) => texts.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_texts(item, texts)),
        Value::Object(members) => members
            .values()
            .for_each(|member| collect_texts(member, texts)),
        _ => {}
    }
}

/// What the webhook fuzz target checks for one body.
fn check_webhook_body(token: &[u8], body: &[u8]) {
    if let Ok(notices) = parse_notification(body) {
        let mut texts = Vec::new();
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            collect_texts(&value, &mut texts);
        }
        for ChangeNotice {
            realm_id,
            id,
            entity,
            ..
        } in &notices
        {
            assert!(!realm_id.is_empty() && !id.is_empty() && !entity.is_empty());
            assert!(
                texts.contains(realm_id),
                "{realm_id:?} is not a value of the body"
            );
            assert!(texts.contains(id), "{id:?} is not a value of the body");
        }
    }
    let signature = sign(token, body);
    assert_eq!(verify_signature(token, body, &signature), Ok(()));
    let mut changed = body.to_vec();
    changed.push(b'\n');
    assert_eq!(
        verify_signature(token, &changed, &signature),
        Err(WebhookError::BadSignature)
    );
}

/// What the fault fuzz target checks for one body.
fn check_fault_body(body: &[u8]) {
    if let Ok(fault) = parse_fault_body(body) {
        let error = classify_fault(400, &fault, Some("tid"), None);
        assert_eq!(error.intuit_tid(), Some("tid"));
    }
    for status in [200, 400, 401, 403, 429, 500, 503] {
        let error = error_from_response(status, body, None, None);
        assert!(!error.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn webhook_parser_takes_any_bytes(
        token in prop::collection::vec(any::<u8>(), 0..40),
        body in prop::collection::vec(any::<u8>(), 0..600),
        header in "[ -~]{0,60}",
    ) {
        let _ = verify_signature(&token, &body, &header);
        check_webhook_body(&token, &body);
    }

    #[test]
    fn webhook_parser_takes_mutated_samples(
        seed in 0..WEBHOOK_SEEDS.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let body = mutated(WEBHOOK_SEEDS[seed], &mutations);
        check_webhook_body(b"verifier", &body);
    }

    #[test]
    fn fault_parser_takes_any_bytes(body in prop::collection::vec(any::<u8>(), 0..600)) {
        check_fault_body(&body);
    }

    #[test]
    fn fault_parser_takes_mutated_samples(
        seed in 0..FAULT_SEEDS.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
        cut in any::<usize>(),
    ) {
        let source = FAULT_SEEDS[seed];
        let body = mutated(source, &mutations);
        check_fault_body(&body);
        // XML samples are not JSON: cut them short instead, anywhere.
        let bytes = source.as_bytes();
        check_fault_body(&bytes[..cut % (bytes.len() + 1)]);
    }
}

#[test]
fn the_unmutated_samples_parse() {
    for seed in WEBHOOK_SEEDS {
        let notices = parse_notification(seed.as_bytes());
        assert!(
            notices.as_ref().is_ok_and(|notices| !notices.is_empty()),
            "{notices:?}"
        );
    }
    for seed in &FAULT_SEEDS[..5] {
        assert!(parse_fault_body(seed.as_bytes()).is_ok(), "{seed}");
    }
}
