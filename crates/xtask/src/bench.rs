//! `cargo xtask bench`: runs the benchmark programs in release, collects the
//! line each prints per benchmark, and writes `target/bench/report.json`.
//!
//! A benchmark program prints, besides whatever it tells a reader, one line
//! per benchmark on stdout:
//!
//! ```text
//! BENCH {"name":"…","value":12.3,"unit":"s","compared_to":10.1,"limit":1.3,"ratio":0.94}
//! ```
//!
//! `value` is what was measured; `compared_to` the reference measured in the
//! same run (in the same unit), or null for an absolute target; `limit` the
//! target, lower being better: a multiple of `compared_to` when there is
//! one, else a ceiling in `unit`. `ratio` is the measure (`value /
//! compared_to`, or `value`) over the limit: 1 or less meets the target. An
//! optional `detail` object carries other figures of the run (the
//! emulator's share of the CPU, say).
//!
//! The report keeps every line with the ratio recomputed here, and the
//! previous report's ratio of the same name: a ratio more than 20% above the
//! previous one is flagged as a regression.

// Timing ratios are measurements, not money: floating point is right here.
#![allow(clippy::float_arithmetic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The benchmark programs: (package, bench target).
const BENCHES: &[(&str, &str)] = &[
    ("sync-engine", "merge"),
    ("qbo-client", "push"),
    ("app-core", "idle"),
    ("sync-engine", "sync"),
    ("qbo-emulator", "throughput"),
    ("statements", "import"),
    ("statements", "quality"),
    ("app-core", "live"),
    ("relay", "intake"),
    ("ledgerlink-desktop", "desktop"),
];

/// The package whose benchmark runs the desktop app, which embeds the UI
/// when it is compiled: the UI is built before it.
const DESKTOP: &str = "ledgerlink-desktop";

/// A ratio this much above the previous run's is a regression.
const REGRESSION: f64 = 1.2;

/// Runs the benchmarks and writes the report. Fails (after writing the
/// report of the others) when a benchmark program fails, prints a malformed
/// line or none; a missed target or a regression is reported, not failed,
/// since timings depend on the machine.
pub fn run(root: &Path) -> Result<(), String> {
    let out_dir = target_dir(root).join("bench");
    std::fs::create_dir_all(&out_dir)
        .map_err(|error| format!("cannot create {}: {error}", out_dir.display()))?;
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (package, bench) in BENCHES {
        match run_one(root, package, bench) {
            Ok(found) => lines.extend(found),
            Err(error) => {
                println!("xtask: {error}");
                failures.push(error);
            }
        }
    }
    let report_path = out_dir.join("report.json");
    let previous = std::fs::read_to_string(&report_path)
        .ok()
        .and_then(|text| json::parse(&text).ok());
    if previous.is_some() {
        let _ = std::fs::copy(&report_path, out_dir.join("report.previous.json"));
    }
    let previous_ratios = previous.as_ref().map(ratios_of).unwrap_or_default();
    let report = Report::new(lines, &previous_ratios);
    std::fs::write(&report_path, report.to_json())
        .map_err(|error| format!("cannot write {}: {error}", report_path.display()))?;
    println!("{}", report.table());
    println!("report: {}", report_path.display());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// `CARGO_TARGET_DIR` when set, else the workspace's `target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// Runs one benchmark program, echoing its output, and returns its lines.
fn run_one(root: &Path, package: &str, bench: &str) -> Result<Vec<Line>, String> {
    if package == DESKTOP {
        crate::steps::npm(root, &["run", "build"])
            .map_err(|error| format!("{package}/{bench}: the UI did not build: {error}"))?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .args(["bench", "--package", package, "--bench", bench])
        .current_dir(root)
        .stdout(Stdio::piped());
    let shown = format!("{command:?}");
    println!("xtask: {shown}");
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run {shown}: {error}"))?;
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for text in BufReader::new(stdout).lines() {
            let text = text.map_err(|error| format!("cannot read {shown}: {error}"))?;
            println!("{text}");
            if let Some(body) = text.strip_prefix("BENCH ") {
                let line = Line::parse(body, &format!("{package}/{bench}"))
                    .map_err(|error| format!("{package}/{bench} printed a bad line: {error}"))?;
                lines.push(line);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("cannot wait for {shown}: {error}"))?;
    if !status.success() {
        return Err(format!("{shown} failed ({status})"));
    }
    if lines.is_empty() {
        return Err(format!("{package}/{bench} printed no BENCH line"));
    }
    Ok(lines)
}

/// One benchmark's figures.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    name: String,
    source: String,
    value: f64,
    unit: String,
    compared_to: Option<f64>,
    limit: f64,
    /// As the program printed it.
    printed_ratio: Option<f64>,
    detail: Vec<(String, json::Value)>,
}

impl Line {
    fn parse(text: &str, source: &str) -> Result<Line, String> {
        let value = json::parse(text)?;
        let json::Value::Object(members) = value else {
            return Err("not a JSON object".to_owned());
        };
        let get = |name: &str| members.iter().find(|(key, _)| key == name).map(|(_, v)| v);
        let number = |name: &str| match get(name) {
            Some(json::Value::Number(number)) => Ok(Some(*number)),
            Some(json::Value::Null) | None => Ok(None),
            Some(_) => Err(format!("\"{name}\" must be a number or null")),
        };
        let text = |name: &str| match get(name) {
            Some(json::Value::String(text)) => Ok(text.clone()),
            _ => Err(format!("\"{name}\" must be a string")),
        };
        let detail = match get("detail") {
            Some(json::Value::Object(members)) => members.clone(),
            Some(json::Value::Null) | None => Vec::new(),
            Some(_) => return Err("\"detail\" must be an object".to_owned()),
        };
        Ok(Line {
            name: text("name")?,
            source: source.to_owned(),
            value: number("value")?.ok_or("\"value\" is required")?,
            unit: text("unit")?,
            compared_to: number("compared_to")?,
            limit: number("limit")?.ok_or("\"limit\" is required")?,
            printed_ratio: number("ratio")?,
            detail,
        })
    }

    /// The measure the limit applies to.
    fn measure(&self) -> f64 {
        match self.compared_to {
            Some(reference) if reference > 0.0 => self.value / reference,
            Some(_) => f64::INFINITY,
            None => self.value,
        }
    }

    /// The measure over the limit; for a limit of 0, 0 when met and
    /// infinite otherwise.
    fn ratio(&self) -> f64 {
        let measure = self.measure();
        if self.limit > 0.0 {
            measure / self.limit
        } else if measure <= 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    }
}

#[derive(Debug)]
struct Report {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    line: Line,
    ratio: f64,
    previous: Option<f64>,
}

impl Row {
    fn regression(&self) -> bool {
        self.previous.is_some_and(|previous| {
            if previous > 0.0 {
                self.ratio > previous * REGRESSION
            } else {
                self.ratio > 0.0
            }
        })
    }

    fn meets(&self) -> bool {
        self.ratio <= 1.0
    }
}

fn ratios_of(report: &json::Value) -> BTreeMap<String, f64> {
    let mut ratios = BTreeMap::new();
    let Some(json::Value::Array(lines)) = report.member("lines") else {
        return ratios;
    };
    for line in lines {
        if let (Some(json::Value::String(name)), Some(json::Value::Number(ratio))) =
            (line.member("name"), line.member("ratio"))
        {
            ratios.insert(name.clone(), *ratio);
        }
    }
    ratios
}

impl Report {
    fn new(lines: Vec<Line>, previous: &BTreeMap<String, f64>) -> Report {
        let rows = lines
            .into_iter()
            .map(|line| {
                let ratio = line.ratio();
                if let Some(printed) = line.printed_ratio
                    && ratio.is_finite()
                    && (printed - ratio).abs() > 0.01 * ratio.abs().max(0.01)
                {
                    println!(
                        "xtask: warning: {} printed ratio {printed:.3}, its figures give {ratio:.3}",
                        line.name
                    );
                }
                Row {
                    previous: previous.get(&line.name).copied(),
                    line,
                    ratio,
                }
            })
            .collect();
        Report { rows }
    }

    fn to_json(&self) -> String {
        let mut out = String::from("{\n  \"lines\": [\n");
        for (index, row) in self.rows.iter().enumerate() {
            let line = &row.line;
            let mut detail = String::from("{");
            for (position, (key, value)) in line.detail.iter().enumerate() {
                if position > 0 {
                    detail.push_str(", ");
                }
                let _ = write!(detail, "{}: {}", json::string(key), value.to_json());
            }
            detail.push('}');
            let _ = write!(
                out,
                "    {{\"name\": {}, \"source\": {}, \"value\": {}, \"unit\": {}, \"compared_to\": {}, \"limit\": {}, \"ratio\": {}, \"meets_target\": {}, \"previous_ratio\": {}, \"regression\": {}, \"detail\": {}}}",
                json::string(&line.name),
                json::string(&line.source),
                json::number(line.value),
                json::string(&line.unit),
                line.compared_to.map_or("null".to_owned(), json::number),
                json::number(line.limit),
                json::number(row.ratio),
                row.meets(),
                row.previous.map_or("null".to_owned(), json::number),
                row.regression(),
                detail,
            );
            out.push_str(if index + 1 < self.rows.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        let regressions: Vec<String> = self
            .rows
            .iter()
            .filter(|row| row.regression())
            .map(|row| json::string(&row.line.name))
            .collect();
        let missed: Vec<String> = self
            .rows
            .iter()
            .filter(|row| !row.meets())
            .map(|row| json::string(&row.line.name))
            .collect();
        let _ = write!(
            out,
            "  ],\n  \"regressions\": [{}],\n  \"missed_targets\": [{}]\n}}\n",
            regressions.join(", "),
            missed.join(", ")
        );
        out
    }

    fn table(&self) -> String {
        let mut out = String::from(
            "\nbenchmark | measured | compared to | target | ratio to the target | previous\n",
        );
        for row in &self.rows {
            let line = &row.line;
            let target = match line.compared_to {
                Some(_) => format!("≤ {}×", trim(line.limit)),
                None => format!("≤ {} {}", trim(line.limit), line.unit),
            };
            let compared = line.compared_to.map_or("-".to_owned(), |value| {
                format!("{} {}", trim(value), line.unit)
            });
            let previous = match row.previous {
                Some(previous) if row.regression() => {
                    format!("{previous:.2} (REGRESSION over 20%)")
                }
                Some(previous) => format!("{previous:.2}"),
                None => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "{} | {} {} | {} | {} | {:.2}{} | {}",
                line.name,
                trim(line.value),
                line.unit,
                compared,
                target,
                row.ratio,
                if row.meets() { "" } else { " (target missed)" },
                previous
            );
        }
        out
    }
}

/// A figure with up to three decimals and no trailing zeros.
fn trim(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// Just enough JSON for the bench lines and the report: the standard
/// library only, so that xtask builds before anything else is fetched.
mod json {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        pub fn member(&self, name: &str) -> Option<&Value> {
            match self {
                Value::Object(members) => members
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value),
                _ => None,
            }
        }

        pub fn to_json(&self) -> String {
            match self {
                Value::Null => "null".to_owned(),
                Value::Bool(flag) => flag.to_string(),
                Value::Number(number) => number_text(*number),
                Value::String(text) => string(text),
                Value::Array(items) => {
                    let items: Vec<String> = items.iter().map(Value::to_json).collect();
                    format!("[{}]", items.join(", "))
                }
                Value::Object(members) => {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(key, value)| format!("{}: {}", string(key), value.to_json()))
                        .collect();
                    format!("{{{}}}", members.join(", "))
                }
            }
        }
    }

    /// A number as JSON: non-finite numbers have no JSON form and are null.
    pub fn number(value: f64) -> String {
        number_text(value)
    }

    fn number_text(value: f64) -> String {
        if value.is_finite() {
            format!("{value}")
        } else {
            "null".to_owned()
        }
    }

    pub fn string(text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        for character in text.chars() {
            match character {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                other if u32::from(other) < 0x20 => {
                    out.push_str(&format!("\\u{:04x}", u32::from(other)));
                }
                other => out.push(other),
            }
        }
        out.push('"');
        out
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value()?;
        parser.skip_space();
        if parser.at != parser.bytes.len() {
            return Err(format!("unexpected text at byte {}", parser.at));
        }
        Ok(value)
    }

    struct Parser<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn skip_space(&mut self) {
            while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
                self.at += 1;
            }
        }

        fn expect(&mut self, byte: u8) -> Result<(), String> {
            self.skip_space();
            if self.bytes.get(self.at) == Some(&byte) {
                self.at += 1;
                Ok(())
            } else {
                Err(format!("expected '{}' at byte {}", byte as char, self.at))
            }
        }

        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            if self.bytes[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                Ok(value)
            } else {
                Err(format!("unexpected text at byte {}", self.at))
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b'{') => self.object(),
                Some(b'[') => self.array(),
                Some(b'"') => self.string().map(Value::String),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'n') => self.literal("null", Value::Null),
                Some(_) => self.number(),
                None => Err("unexpected end".to_owned()),
            }
        }

        fn object(&mut self) -> Result<Value, String> {
            self.expect(b'{')?;
            let mut members = Vec::new();
            self.skip_space();
            if self.bytes.get(self.at) == Some(&b'}') {
                self.at += 1;
                return Ok(Value::Object(members));
            }
            loop {
                self.skip_space();
                let key = self.string()?;
                self.expect(b':')?;
                members.push((key, self.value()?));
                self.skip_space();
                match self.bytes.get(self.at) {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        return Ok(Value::Object(members));
                    }
                    _ => return Err(format!("expected ',' or '}}' at byte {}", self.at)),
                }
            }
        }

        fn array(&mut self) -> Result<Value, String> {
            self.expect(b'[')?;
            let mut items = Vec::new();
            self.skip_space();
            if self.bytes.get(self.at) == Some(&b']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value()?);
                self.skip_space();
                match self.bytes.get(self.at) {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    _ => return Err(format!("expected ',' or ']' at byte {}", self.at)),
                }
            }
        }

        fn string(&mut self) -> Result<String, String> {
            self.expect(b'"')?;
            let mut out = Vec::new();
            loop {
                let Some(&byte) = self.bytes.get(self.at) else {
                    return Err("unterminated string".to_owned());
                };
                self.at += 1;
                match byte {
                    b'"' => break,
                    b'\\' => {
                        let Some(&escaped) = self.bytes.get(self.at) else {
                            return Err("unterminated string".to_owned());
                        };
                        self.at += 1;
                        match escaped {
                            b'n' => out.push(b'\n'),
                            b't' => out.push(b'\t'),
                            b'r' => out.push(b'\r'),
                            b'b' => out.push(8),
                            b'f' => out.push(12),
                            b'u' => {
                                let hex = self
                                    .bytes
                                    .get(self.at..self.at + 4)
                                    .and_then(|hex| std::str::from_utf8(hex).ok())
                                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                                    .ok_or("bad \\u escape")?;
                                self.at += 4;
                                let character = char::from_u32(hex).unwrap_or('\u{fffd}');
                                let mut buffer = [0; 4];
                                out.extend_from_slice(
                                    character.encode_utf8(&mut buffer).as_bytes(),
                                );
                            }
                            other => out.push(other),
                        }
                    }
                    other => out.push(other),
                }
            }
            String::from_utf8(out).map_err(|_| "a string is not UTF-8".to_owned())
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            while self
                .bytes
                .get(self.at)
                .is_some_and(|byte| byte.is_ascii_digit() || b"+-.eE".contains(byte))
            {
                self.at += 1;
            }
            std::str::from_utf8(&self.bytes[start..self.at])
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .map(Value::Number)
                .ok_or_else(|| format!("bad number at byte {start}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line::parse(text, "test/bench").expect("a valid line")
    }

    #[test]
    fn a_line_against_a_reference_is_a_multiple_of_it() {
        let parsed = line(
            r#"{"name":"first pull","value":13.0,"unit":"s","compared_to":10.0,"limit":1.3,"ratio":1.0,"detail":{"emulator_cpu_s":6.5,"note":"x"}}"#,
        );
        assert_eq!(parsed.compared_to, Some(10.0));
        assert!((parsed.ratio() - 1.0).abs() < 1e-9);
        assert_eq!(parsed.detail.len(), 2);
    }

    #[test]
    fn an_absolute_line_and_a_zero_limit() {
        assert!((line(r#"{"name":"merge","value":0.1,"unit":"s","compared_to":null,"limit":0.2,"ratio":0.5}"#).ratio() - 0.5).abs() < 1e-9);
        let met = line(
            r#"{"name":"throttled","value":0,"unit":"requests","compared_to":null,"limit":0,"ratio":0}"#,
        );
        assert_eq!(met.ratio(), 0.0);
        let missed = line(
            r#"{"name":"throttled","value":3,"unit":"requests","compared_to":null,"limit":0,"ratio":null}"#,
        );
        assert!(missed.ratio().is_infinite());
    }

    #[test]
    fn malformed_lines_are_refused() {
        for text in [
            "not json",
            r#"{"name":"x","unit":"s","limit":1}"#,
            r#"{"name":"x","value":"1","unit":"s","limit":1}"#,
            r#"{"name":"x","value":1,"unit":"s","limit":1"#,
        ] {
            assert!(Line::parse(text, "t").is_err(), "{text}");
        }
    }

    #[test]
    fn the_report_round_trips_and_flags_a_regression_over_20_percent() {
        let lines = vec![
            line(
                r#"{"name":"a","value":1.0,"unit":"s","compared_to":null,"limit":2.0,"ratio":0.5}"#,
            ),
            line(
                r#"{"name":"b \"q\"","value":3.0,"unit":"s","compared_to":1.0,"limit":2.0,"ratio":1.5}"#,
            ),
        ];
        let first = Report::new(lines.clone(), &BTreeMap::new());
        let written = json::parse(&first.to_json()).expect("the report is JSON");
        let previous = ratios_of(&written);
        assert_eq!(previous.get("a"), Some(&0.5));
        assert_eq!(previous.get("b \"q\""), Some(&1.5));

        let mut worse = lines;
        worse[0].value = 1.3; // ratio 0.65: 30% worse
        worse[1].value = 3.3; // ratio 1.65: 10% worse
        let second = Report::new(worse, &previous);
        assert!(second.rows[0].regression());
        assert!(!second.rows[1].regression());
        assert!(!second.rows[1].meets());
        let text = second.to_json();
        let parsed = json::parse(&text).expect("the report is JSON");
        assert_eq!(
            parsed.member("regressions"),
            Some(&json::Value::Array(vec![json::Value::String(
                "a".to_owned()
            )]))
        );
        assert!(second.table().contains("REGRESSION"));
    }
}
