//! Imports a 10,000-line CSV statement, suggestions included: decoding, layout
//! detection, reading, dedup keys and a suggestion per line from a model trained
//! on 5,000 past lines. The limit is 1 s.
//!
//! Run: `cargo bench -p statements --bench import`.

// A benchmark reports on stdout and its timings are floats, not money.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

mod company;

use std::hint::black_box;
use std::time::Instant;

use statements::csv_import::parse_detected;
use statements::dedup::dedup_keys;
use statements::suggest::{Categorizer, Rules};

const LINES: usize = 10_000;
const LIMIT_SECONDS: f64 = 1.0;

fn main() {
    let history = company::history(1, 5_000);
    let statement = company::history(2, LINES);
    let mut csv = String::from(
        "Account:,Business Checking\nExported:,2024-12-31\n\nDate,Description,Amount,Balance\n",
    );
    for entry in &statement {
        csv.push_str(&format!(
            "{},\"{}\",{},\n",
            entry.date.format("%m/%d/%Y"),
            entry.description,
            entry.amount
        ));
    }
    let bytes = csv.into_bytes();
    let categorizer = Categorizer::train(&history);
    let rules = Rules::empty();

    let mut best = f64::MAX;
    let mut parsing = 0.0;
    let mut suggested = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let import = parse_detected(black_box(&bytes)).unwrap();
        let keys = dedup_keys("checking", &import.statement.lines);
        let parsed = started.elapsed().as_secs_f64();
        let suggestions: Vec<_> = import
            .statement
            .lines
            .iter()
            .map(|line| categorizer.suggest(&rules, line))
            .collect();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(keys.len(), LINES);
        suggested = suggestions
            .iter()
            .filter(|suggestion| suggestion.account.is_some())
            .count();
        if seconds < best {
            best = seconds;
            parsing = parsed;
        }
    }
    // Training is part of opening the inbox, so it is reported too.
    let started = Instant::now();
    black_box(Categorizer::train(black_box(&history)));
    let training = started.elapsed().as_secs_f64();
    println!(
        "import of a {LINES}-line CSV with suggestions: {best:.3} s (best of 5; reading and dedup keys {parsing:.3} s), {suggested} lines suggested; training on 5,000 lines {training:.3} s"
    );
    println!(
        "BENCH {{\"name\":\"import 10k-line CSV with suggestions\",\"value\":{best:.4},\"unit\":\"s\",\"compared_to\":null,\"limit\":{LIMIT_SECONDS},\"ratio\":{:.3},\"detail\":{{\"reading_s\":{parsing:.4},\"training_s\":{training:.4},\"suggested\":{suggested}}}}}",
        best / LIMIT_SECONDS
    );
}
