//! Categorization quality: trains on the first 80% by date of a company's
//! Purchases and Deposits and suggests for the last 20% from their descriptions
//! and amounts. Reports top-1 account accuracy (goal ≥ 85%) and the accuracy of
//! suggestions above 0.9 confidence (goal ≥ 97%), each as a ratio to its goal
//! written "lower is better": the error rate against the allowed error rate.
//!
//! The company is the one the emulator seeds for the demo (seed 7), bank-statement
//! style descriptions included, at `LEDGERLINK_BENCH_TRANSACTIONS` transactions
//! (10,000 by default; the demo itself uses 600, too few Purchases and Deposits to
//! measure on).
//!
//! Run: `cargo bench -p statements --bench quality`.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use chrono::TimeZone;
use qbo_emulator::entities::EntityKind;
use qbo_emulator::{Company, EmulatorConfig};
use statements::suggest::{evaluate, history_from_documents};

fn main() {
    let size = std::env::var("LEDGERLINK_BENCH_TRANSACTIONS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(10_000)
        .clamp(100, 200_000);
    // A fixed "now": the seeded year ends here, so every run sees the same books.
    let now = chrono::Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).unwrap();
    let mut company = Company::new("bench", "Bench", &EmulatorConfig::default(), now);
    qbo_emulator::seed::populate(&mut company, 7, size, now).unwrap();
    let documents: Vec<(&str, &serde_json::Value)> = company
        .all_of(EntityKind::Purchase)
        .map(|document| ("Purchase", document))
        .chain(
            company
                .all_of(EntityKind::Deposit)
                .map(|document| ("Deposit", document)),
        )
        .collect();
    let history = history_from_documents(documents);
    let report = evaluate(&history, 80);
    let top1 = report.top1_accuracy();
    let confident = report.confident_accuracy();
    println!(
        "categorization on {} lines (trained on {}): top-1 {:.1}%, {} suggested above 0.9 of which {:.1}% right",
        report.tested,
        report.trained_on,
        top1 * 100.0,
        report.confident,
        confident * 100.0
    );
    // Error rates against the allowed ones: 15% wrong at top-1, 3% above 0.9.
    let top1_error = 1.0 - top1;
    let confident_error = 1.0 - confident;
    println!(
        "BENCH {{\"name\":\"categorization top-1 error rate\",\"value\":{top1_error:.4},\"unit\":\"share\",\"compared_to\":null,\"limit\":0.15,\"ratio\":{:.3},\"detail\":{{\"top1_accuracy\":{top1:.4},\"tested\":{}}}}}",
        top1_error / 0.15,
        report.tested
    );
    println!(
        "BENCH {{\"name\":\"categorization error rate above 0.9 confidence\",\"value\":{confident_error:.4},\"unit\":\"share\",\"compared_to\":null,\"limit\":0.03,\"ratio\":{:.3},\"detail\":{{\"accuracy_above_0_9\":{confident:.4},\"suggested_above_0_9\":{}}}}}",
        confident_error / 0.03,
        report.confident
    );
}
