//! Subscriptions and event streams: who may subscribe, what each stream
//! carries, catching up from a cursor, restarts and pruning.

use std::time::Duration;

use relay::TestRelay;
use serde_json::Value;

use crate::support::{Setup, SseEvent, setup};

const WAIT: Duration = Duration::from_secs(10);

fn subscription_of(body: &Value) -> String {
    body["subscription"].as_str().unwrap().to_owned()
}

fn entity_id(event: &SseEvent) -> String {
    assert_eq!(event.event, "change", "{event:?}");
    event.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn subscriptions_need_a_valid_token_for_that_realm() {
    let setup = setup().await;
    let (realm_a, token_a) = setup.emulator.connect_company("A");
    let (realm_b, token_b) = setup.emulator.connect_company("B");

    let (status, body) = setup.subscribe(&realm_a, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
    let (status, body) = setup.subscribe(&realm_a, Some("not-a-real-token")).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "forbidden");
    let (status, body) = setup.subscribe(&realm_a, Some(&token_b)).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error_description"],
        "the token does not grant access to this company"
    );
    let (status, _) = setup.subscribe("../../etc", Some(&token_a)).await;
    assert_eq!(status, 400);

    let (status, body) = setup.subscribe(&realm_a, Some(&token_a)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["realm_id"], realm_a.as_str());
    assert_eq!(body["cursor"], 0);
    let (status, _) = setup.subscribe(&realm_b, Some(&token_b)).await;
    assert_eq!(status, 201);

    // A stream needs a genuine subscription.
    let events_url = format!("{}/events", setup.relay.base_url());
    let missing = setup.http.get(&events_url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let subscription = subscription_of(&body);
    let (payload, signature) = subscription.split_once('.').unwrap();
    let tampered = format!("{payload}x.{signature}");
    let forged = setup
        .http
        .get(&events_url)
        .bearer_auth(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_realm_never_sees_another_realms_events() {
    let setup = setup().await;
    setup.enable_webhooks("cloudevents").await;
    let (realm_a, token_a) = setup.emulator.connect_company("A");
    let (realm_b, token_b) = setup.emulator.connect_company("B");
    let (_, sub_a) = setup.subscribe(&realm_a, Some(&token_a)).await;
    let (_, sub_b) = setup.subscribe(&realm_b, Some(&token_b)).await;
    let mut stream_a = setup.open_events(&subscription_of(&sub_a), Some(0)).await;
    let mut stream_b = setup.open_events(&subscription_of(&sub_b), Some(0)).await;

    // B's changes come first, then one of A's: A's stream, ordered by seq,
    // would show B's before A's if it carried them at all.
    setup.emit_change(&realm_b, "Invoice", "b1").await;
    setup.emit_change(&realm_b, "Invoice", "b2").await;
    setup.emit_change(&realm_a, "Invoice", "a1").await;

    let first_a = stream_a.next(WAIT).await.expect("A's event arrives");
    assert_eq!(entity_id(&first_a), "a1");
    assert_eq!(first_a.json()["realm_id"], realm_a.as_str());
    let b_ids = [
        entity_id(&stream_b.next(WAIT).await.unwrap()),
        entity_id(&stream_b.next(WAIT).await.unwrap()),
    ];
    assert_eq!(b_ids, ["b1", "b2"]);
    // Nothing else is on either stream.
    assert!(stream_a.next(Duration::from_millis(500)).await.is_none());
    assert!(stream_b.next(Duration::from_millis(200)).await.is_none());
    // A stream opened afterwards from the start shows only A's change too.
    let mut replay_a = setup.open_events(&subscription_of(&sub_a), None).await;
    assert_eq!(entity_id(&replay_a.next(WAIT).await.unwrap()), "a1");
    assert!(replay_a.next(Duration::from_millis(300)).await.is_none());
}

#[tokio::test]
async fn an_offline_app_catches_up_from_its_cursor() {
    let setup = setup().await;
    setup.enable_webhooks("legacy").await;
    let (realm_id, token) = setup.emulator.connect_company("A");
    let (_, body) = setup.subscribe(&realm_id, Some(&token)).await;
    let subscription = subscription_of(&body);
    let cursor = body["cursor"].as_i64().unwrap();

    // Offline: two changes arrive.
    setup.emit_change(&realm_id, "Invoice", "1").await;
    setup.emit_change(&realm_id, "Invoice", "2").await;
    let mut stream = setup.open_events(&subscription, Some(cursor)).await;
    let one = stream.next(WAIT).await.unwrap();
    let two = stream.next(WAIT).await.unwrap();
    assert_eq!([entity_id(&one), entity_id(&two)], ["1", "2"]);
    let seen_through = two.id.clone().unwrap();
    assert!(seen_through.parse::<i64>().unwrap() > one.id.clone().unwrap().parse::<i64>().unwrap());
    drop(stream);

    // Offline again: two more; the app resumes with Last-Event-ID, which
    // wins over the cursor parameter.
    setup.emit_change(&realm_id, "Invoice", "3").await;
    setup.emit_change(&realm_id, "Invoice", "4").await;
    let response = reqwest::Client::new()
        .get(format!("{}/events?cursor=0", setup.relay.base_url()))
        .query(&[("subscription", subscription.as_str())])
        .header("last-event-id", &seen_through)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = crate::support::SseReader::new(response);
    let three = stream.next(WAIT).await.unwrap();
    let four = stream.next(WAIT).await.unwrap();
    assert_eq!([entity_id(&three), entity_id(&four)], ["3", "4"]);
    // And live ones follow on the same stream.
    setup.emit_change(&realm_id, "Invoice", "5").await;
    assert_eq!(entity_id(&stream.next(WAIT).await.unwrap()), "5");
    assert!(stream.next(Duration::from_millis(300)).await.is_none());
}

#[tokio::test]
async fn a_restart_loses_no_acknowledged_event() {
    let setup = setup().await;
    setup.enable_webhooks("legacy").await;
    let (realm_id, token) = setup.emulator.connect_company("A");
    let (_, body) = setup.subscribe(&realm_id, Some(&token)).await;
    let subscription = subscription_of(&body);
    for id in ["1", "2", "3"] {
        setup.emit_change(&realm_id, "Bill", id).await;
    }
    // Dropped (no waiting, no closing), then started again on the same file.
    let config = setup.config.clone();
    drop(setup.relay);
    let setup = Setup {
        relay: TestRelay::start(config).await,
        ..setup
    };
    setup.enable_webhooks("legacy").await;
    setup.emit_change(&realm_id, "Bill", "4").await;

    // The subscription signed before the restart still works: the key is
    // kept in the database.
    let mut stream = setup.open_events(&subscription, Some(0)).await;
    let mut ids = Vec::new();
    let mut seqs = Vec::new();
    for _ in 0..4 {
        let event = stream
            .next(WAIT)
            .await
            .expect("every acknowledged event is there");
        seqs.push(event.id.clone().unwrap().parse::<i64>().unwrap());
        ids.push(entity_id(&event));
    }
    assert_eq!(ids, ["1", "2", "3", "4"]);
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
}

#[tokio::test]
async fn a_cursor_older_than_retention_gets_a_resync_first() {
    let setup = setup().await;
    setup.enable_webhooks("legacy").await;
    let (realm_id, token) = setup.emulator.connect_company("A");
    let (_, body) = setup.subscribe(&realm_id, Some(&token)).await;
    let subscription = subscription_of(&body);
    setup.emit_change(&realm_id, "Invoice", "old").await;
    // Everything stored so far falls out of retention.
    let far_future = i64::MAX / 2;
    assert_eq!(
        setup
            .relay
            .store()
            .prune_received_before(far_future)
            .await
            .unwrap(),
        1
    );
    setup.emit_change(&realm_id, "Invoice", "new").await;

    let mut stream = setup.open_events(&subscription, Some(0)).await;
    let first = stream.next(WAIT).await.unwrap();
    assert_eq!(first.event, "resync");
    assert_eq!(first.data, "{}");
    assert_eq!(entity_id(&stream.next(WAIT).await.unwrap()), "new");

    // A subscription made now starts at the latest seq: no resync.
    let (_, body) = setup.subscribe(&realm_id, Some(&token)).await;
    let latest = body["cursor"].as_i64().unwrap();
    assert!(latest > 0);
    let mut fresh = setup.open_events(&subscription, Some(latest)).await;
    setup.emit_change(&realm_id, "Invoice", "newer").await;
    assert_eq!(entity_id(&fresh.next(WAIT).await.unwrap()), "newer");
}

#[tokio::test]
async fn streams_keep_alive_and_end_when_the_relay_stops() {
    let setup = crate::support::setup_with(|config| {
        config.keep_alive = Duration::from_millis(150);
    })
    .await;
    let (realm_id, token) = setup.emulator.connect_company("A");
    let (_, body) = setup.subscribe(&realm_id, Some(&token)).await;
    let mut response = reqwest::Client::new()
        .get(format!("{}/events", setup.relay.base_url()))
        .bearer_auth(subscription_of(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    // With no event, the first bytes are a keep-alive comment.
    let chunk = tokio::time::timeout(WAIT, response.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(chunk.starts_with(b":"), "{chunk:?}");

    // A graceful stop does not wait for open streams: they end.
    tokio::time::timeout(Duration::from_secs(5), setup.relay.stop())
        .await
        .expect("the relay stops although a stream is open");
    let mut reader = crate::support::SseReader::new(response);
    assert!(reader.next(Duration::from_secs(2)).await.is_none());
}
