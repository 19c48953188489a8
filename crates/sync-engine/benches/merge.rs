//! Merges 10,000 realistic invoices three ways and reports the time as a
//! ratio to the limit (1 s for 10k records). Run: `cargo bench -p sync-engine --bench merge`.

// Timing ratios are reports, not money: floats are fine here.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::time::Instant;

use serde_json::{Value, json};
use sync_engine::merge::merge;

const RECORDS: usize = 10_000;
const LIMIT_SECONDS: f64 = 1.0;

fn invoice(index: usize) -> Value {
    let lines: Vec<Value> = (0..3 + index % 8)
        .map(|line| {
            json!({
                "Id": (line + 1).to_string(),
                "LineNum": line + 1,
                "Amount": format!("{}.{:02}", 10 + line * 3, index % 100),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": (line % 9 + 1).to_string(), "name": "Widget"}, "Qty": 1, "UnitPrice": format!("{}.{:02}", 10 + line * 3, index % 100)}
            })
        })
        .collect();
    json!({
        "Id": index.to_string(), "SyncToken": "0", "DocNumber": format!("{}", 1000 + index),
        "TxnDate": "2026-03-01", "CustomerRef": {"value": "5", "name": "Acme"},
        "PrivateNote": "", "Line": lines, "TotalAmt": 100,
        "MetaData": {"CreateTime": "2026-03-01T10:00:00-08:00", "LastUpdatedTime": "2026-03-01T10:00:00-08:00"}
    })
}

fn main() {
    let cases: Vec<(Value, Value, Value)> = (0..RECORDS)
        .map(|index| {
            let base = invoice(index);
            let mut local = base.clone();
            let mut remote = base.clone();
            match index % 3 {
                0 => {
                    local["PrivateNote"] = json!("checked");
                    remote["Line"][0]["Amount"] = json!("99.00");
                }
                1 => {
                    local["DocNumber"] = json!("L");
                    remote["DocNumber"] = json!("R");
                }
                _ => {
                    local["TxnDate"] = json!("2026-03-02");
                    remote["TxnDate"] = json!("2026-03-02");
                }
            }
            remote["SyncToken"] = json!("1");
            (base, local, remote)
        })
        .collect();
    let started = Instant::now();
    let mut conflicts = 0;
    for (base, local, remote) in &cases {
        conflicts += merge("Invoice", base, local, remote).conflicts.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "merge {RECORDS} records: {seconds:.3} s ({:.3} of the {LIMIT_SECONDS} s limit), {conflicts} conflicts",
        seconds / LIMIT_SECONDS
    );
    assert_eq!(conflicts, RECORDS / 3 + usize::from(RECORDS % 3 > 1));
}
