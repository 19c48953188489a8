//! OFX 1.x (SGML), OFX 2.x (XML) and QFX, read by one tolerant tokenizer.
//!
//! No maintained crate reads what banks really send (SGML leaf elements without
//! closing tags, aggregates whose closing tags are missing, cp1252 text under a
//! UTF-8 label, bracketed time zones, `-0.00`, comma decimals), so the reader is a
//! small event scanner: an element followed by text is a field of the innermost
//! open statement or transaction, whether or not it is ever closed; a new
//! `<STMTTRN>` or the end of its list ends the previous transaction.

use rust_decimal::Decimal;

use crate::text::{DateOrder, decode, parse_amount, parse_date};
use crate::{BankAccount, Format, Statement, StatementError, StatementLine};

/// One piece of the element stream, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Open(String, usize),
    Close(String, usize),
    Text(String, usize),
}

/// Reads every bank and card statement in an OFX or QFX file.
pub fn parse_ofx(bytes: &[u8]) -> Result<Vec<Statement>, StatementError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).into_owned();
    let declared = declared_charset(&head);
    let text = decode(bytes, declared.as_deref());
    // '<' is ASCII, so the byte position found is a character boundary.
    let found = text
        .as_bytes()
        .windows(5)
        .position(|window| window.eq_ignore_ascii_case(b"<OFX>"));
    let Some(start) = found else {
        return Err(StatementError::UnknownFormat(
            "no <OFX> element: this is not an OFX or QFX file".into(),
        ));
    };
    let prolog = text[..start].to_ascii_uppercase();
    let first_line = 1 + text[..start].matches('\n').count();
    let events = tokenize(&text[start..], first_line);
    let mut format = if prolog.contains("<?OFX") || prolog.contains("<?XML") {
        Format::Ofx2
    } else {
        Format::Ofx1
    };
    if events
        .iter()
        .any(|event| matches!(event, Event::Open(name, _) if name == "INTU.BID"))
    {
        format = Format::Qfx;
    }
    Reader::new(format).read(&events)
}

/// The `CHARSET` of an OFX 1.x header or the `encoding` of an XML declaration.
fn declared_charset(head: &str) -> Option<String> {
    for line in head.lines() {
        let line = line.trim();
        if let Some(value) = line.strip_prefix("CHARSET:") {
            return Some(value.trim().to_string());
        }
        if let Some(at) = line.find("encoding=") {
            let rest = &line[at + "encoding=".len()..];
            let quote = rest.chars().next()?;
            let rest = rest.get(1..)?;
            let end = rest.find(quote)?;
            return Some(rest[..end].to_string());
        }
    }
    None
}

/// The element stream of an OFX body. Comments, processing instructions and
/// declarations are skipped; names are upper-cased; text is trimmed and its
/// entities decoded; empty text is dropped.
fn tokenize(body: &str, first_line: usize) -> Vec<Event> {
    let mut events = Vec::new();
    let mut line = first_line;
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").map_or(after.len(), |end| end + 3);
            line += after[..end].matches('\n').count();
            rest = &after[end..];
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = rest.find('>').map_or(rest.len(), |end| end + 1);
            line += rest[..end].matches('\n').count();
            rest = &rest[end..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('<') {
            // A tag runs to '>'; a '<' before it means the '>' was lost.
            let end = after.find(['>', '<']).unwrap_or(after.len());
            let inner = after[..end].trim();
            let tag_line = line;
            line += after[..end].matches('\n').count();
            rest = after[end..].strip_prefix('>').unwrap_or(&after[end..]);
            let self_closing = inner.ends_with('/');
            let inner = inner.trim_end_matches('/');
            let (closing, name) = match inner.strip_prefix('/') {
                Some(name) => (true, name),
                None => (false, inner),
            };
            let name = name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if name.is_empty() {
                continue;
            }
            if closing {
                events.push(Event::Close(name, tag_line));
            } else {
                events.push(Event::Open(name.clone(), tag_line));
                if self_closing {
                    events.push(Event::Close(name, tag_line));
                }
            }
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        let raw = &rest[..end];
        let leading = raw.len() - raw.trim_start().len();
        let text_line = line + raw[..leading].matches('\n').count();
        line += raw.matches('\n').count();
        let value = raw.trim();
        if !value.is_empty() {
            events.push(Event::Text(decode_entities(value), text_line));
        }
        rest = &rest[end..];
    }
    events
}

/// XML and SGML character references; unknown ones are kept as written, since
/// SGML banks write bare `&` in names (`AT&T`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let replaced = after.find(';').filter(|end| *end <= 8).and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match replaced {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The fields of one `<STMTTRN>` as read so far.
#[derive(Debug, Default)]
struct Transaction {
    line: usize,
    trntype: Option<String>,
    posted: Option<(String, usize)>,
    user_date: Option<(String, usize)>,
    amount: Option<(String, usize)>,
    fitid: Option<String>,
    check_number: Option<String>,
    name: Option<String>,
    memo: Option<String>,
}

#[derive(Debug)]
struct Reader {
    format: Format,
    statements: Vec<Statement>,
    current: Option<Statement>,
    transaction: Option<Transaction>,
    /// The aggregate whose fields are being read outside a transaction.
    context: Vec<String>,
    /// The last element opened, waiting for its text.
    pending: Option<String>,
    status_message: Option<String>,
    status_error: bool,
}

impl Reader {
    fn new(format: Format) -> Reader {
        Reader {
            format,
            statements: Vec::new(),
            current: None,
            transaction: None,
            context: Vec::new(),
            pending: None,
            status_message: None,
            status_error: false,
        }
    }

    fn read(mut self, events: &[Event]) -> Result<Vec<Statement>, StatementError> {
        for event in events {
            match event {
                Event::Open(name, line) => {
                    self.pending = Some(name.clone());
                    match name.as_str() {
                        "STMTRS" | "CCSTMTRS" => {
                            self.finish_statement()?;
                            self.current = Some(self.empty_statement());
                        }
                        "STMTTRN" => {
                            self.finish_transaction()?;
                            if self.current.is_none() {
                                self.current = Some(self.empty_statement());
                            }
                            self.transaction = Some(Transaction {
                                line: *line,
                                ..Transaction::default()
                            });
                        }
                        "BANKACCTFROM" | "CCACCTFROM" | "LEDGERBAL" | "AVAILBAL" | "BANKACCTTO"
                        | "CCACCTTO" | "STATUS" | "PAYEE" => {
                            self.context.push(name.clone());
                        }
                        _ => {}
                    }
                }
                Event::Close(name, _) => {
                    self.pending = None;
                    match name.as_str() {
                        "STMTTRN" | "BANKTRANLIST" => self.finish_transaction()?,
                        "STMTRS" | "CCSTMTRS" | "OFX" => self.finish_statement()?,
                        _ => {
                            if let Some(at) = self.context.iter().rposition(|open| open == name) {
                                self.context.truncate(at);
                            }
                        }
                    }
                }
                Event::Text(value, line) => {
                    if let Some(name) = self.pending.take() {
                        self.field(&name, value, *line);
                    }
                }
            }
        }
        self.finish_statement()?;
        if self.statements.is_empty() {
            return Err(StatementError::Layout(
                match (self.status_error, self.status_message) {
                    (true, Some(message)) => format!("the bank reported an error: {message}"),
                    _ => "the OFX file holds no bank or card statement".into(),
                },
            ));
        }
        Ok(self.statements)
    }

    fn empty_statement(&self) -> Statement {
        Statement {
            format: self.format,
            account: None,
            currency: None,
            ledger_balance: None,
            lines: Vec::new(),
            layout_confidence: 1.0,
            layout_notes: Vec::new(),
        }
    }

    fn field(&mut self, name: &str, value: &str, line: usize) {
        let value = value.to_string();
        if let Some(transaction) = self.transaction.as_mut() {
            let in_payee = self.context.last().is_some_and(|open| open == "PAYEE");
            let in_other = self
                .context
                .last()
                .is_some_and(|open| open == "BANKACCTTO" || open == "CCACCTTO");
            if in_other {
                return;
            }
            match name {
                "TRNTYPE" => transaction.trntype = Some(value),
                "DTPOSTED" => transaction.posted = Some((value, line)),
                "DTUSER" => transaction.user_date = Some((value, line)),
                "TRNAMT" => transaction.amount = Some((value, line)),
                "FITID" => transaction.fitid = Some(value),
                "CHECKNUM" => transaction.check_number = Some(value),
                "NAME" if !in_payee || transaction.name.is_none() => transaction.name = Some(value),
                "MEMO" => transaction.memo = Some(value),
                _ => {}
            }
            return;
        }
        let context = self.context.last().map(String::as_str);
        match (context, name) {
            (Some("STATUS"), "SEVERITY") => {
                self.status_error |= value.eq_ignore_ascii_case("ERROR")
            }
            (Some("STATUS"), "MESSAGE") => self.status_message = Some(value.clone()),
            _ => {}
        }
        let Some(statement) = self.current.as_mut() else {
            return;
        };
        match (context, name) {
            (_, "CURDEF") => statement.currency = Some(value),
            (Some("BANKACCTFROM" | "CCACCTFROM"), field) => {
                let account = statement.account.get_or_insert_with(BankAccount::default);
                match field {
                    "BANKID" => account.bank_id = Some(value),
                    "ACCTID" => account.account_id = Some(value),
                    "ACCTTYPE" => account.account_type = Some(value),
                    _ => {}
                }
            }
            (Some("LEDGERBAL"), "BALAMT") => {
                statement.ledger_balance = parse_amount(&value, None).ok();
            }
            _ => {}
        }
    }

    fn finish_transaction(&mut self) -> Result<(), StatementError> {
        let Some(transaction) = self.transaction.take() else {
            return Ok(());
        };
        self.context
            .retain(|open| open != "PAYEE" && open != "BANKACCTTO" && open != "CCACCTTO");
        let line = transaction.line;
        let (date_text, date_line) =
            transaction
                .posted
                .or(transaction.user_date)
                .ok_or_else(|| StatementError::Line {
                    line,
                    message: "the transaction has no <DTPOSTED> date".into(),
                })?;
        let date = ofx_date(&date_text).ok_or_else(|| StatementError::Line {
            line: date_line,
            message: format!("<DTPOSTED> '{date_text}' is not a date"),
        })?;
        let (amount_text, amount_line) =
            transaction.amount.ok_or_else(|| StatementError::Line {
                line,
                message: "the transaction has no <TRNAMT> amount".into(),
            })?;
        let amount = parse_amount(&amount_text, None).map_err(|message| StatementError::Line {
            line: amount_line,
            message: format!("<TRNAMT> {message}"),
        })?;
        let name = transaction.name.filter(|name| !name.is_empty());
        let memo = transaction.memo.filter(|memo| !memo.is_empty());
        let description = match (&name, &memo) {
            (Some(name), Some(memo)) if memo.contains(name.as_str()) => memo.clone(),
            (Some(name), Some(memo)) if name.contains(memo.as_str()) => name.clone(),
            (Some(name), Some(memo)) => format!("{name} {memo}"),
            (Some(text), None) | (None, Some(text)) => text.clone(),
            (None, None) => transaction.trntype.clone().unwrap_or_default(),
        };
        let line_item = StatementLine {
            date,
            amount,
            description,
            fitid: transaction.fitid.filter(|fitid| !fitid.is_empty()),
            payee: name,
            check_number: transaction.check_number,
            bank_type: transaction.trntype,
            source_line: line,
        };
        if let Some(statement) = self.current.as_mut() {
            statement.lines.push(line_item);
        }
        Ok(())
    }

    fn finish_statement(&mut self) -> Result<(), StatementError> {
        self.finish_transaction()?;
        self.context.clear();
        if let Some(mut statement) = self.current.take() {
            fix_unsigned_debits(&mut statement);
            self.statements.push(statement);
        }
        Ok(())
    }
}

/// An OFX date: `YYYYMMDD`, optionally followed by a time, milliseconds and a
/// bracketed zone (`20240131120000.000[-5:EST]`). The date is kept as the bank
/// wrote it, not moved to UTC: it is the day the statement shows. Some banks
/// write ISO dates (`2024-01-31`); those are read too.
pub fn ofx_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() >= 8 {
        return parse_date(&digits[..8], DateOrder::YearMonthDay);
    }
    parse_date(text, DateOrder::YearMonthDay)
}

/// Some banks write every amount positive and give the direction only in
/// `TRNTYPE`. When no amount is negative and some lines are typed as money out,
/// those lines are made negative, and the statement says so.
fn fix_unsigned_debits(statement: &mut Statement) {
    const OUT: [&str; 8] = [
        "DEBIT",
        "CHECK",
        "PAYMENT",
        "FEE",
        "SRVCHG",
        "ATM",
        "POS",
        "DIRECTDEBIT",
    ];
    let any_negative = statement
        .lines
        .iter()
        .any(|line| line.amount < Decimal::ZERO);
    let typed_out = |line: &StatementLine| {
        line.bank_type
            .as_deref()
            .is_some_and(|kind| OUT.iter().any(|out| kind.eq_ignore_ascii_case(out)))
    };
    let any_out = statement
        .lines
        .iter()
        .any(|line| typed_out(line) && !line.amount.is_zero());
    if any_negative || !any_out {
        return;
    }
    for line in &mut statement.lines {
        // A zero stays zero: negated, it would be a negative zero.
        if typed_out(line) && !line.amount.is_zero() {
            line.amount = -line.amount;
        }
    }
    statement.layout_confidence = 0.8;
    statement.layout_notes.push(
        "every amount in the file is positive; lines typed as debits, checks, payments and fees were taken as money out".into(),
    );
}
