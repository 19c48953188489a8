//! QBO's query language (API.md §4): parsing and evaluation against JSON
//! documents. Pure: no I/O, no clock, no shared state.
//!
//! The grammar is
//!
//! ```text
//! SELECT * [, <field>]... | COUNT(*) FROM <Entity>
//!   [WHERE <cond> [AND <cond>]...]
//!   [ORDERBY <field> [ASC|DESC] [, <field> [ASC|DESC]]...]
//!   [STARTPOSITION <n>] [MAXRESULTS <n>]
//! ```
//!
//! with `<cond>` one of `field op value` (op in `= < > <= >=`),
//! `field IN (value, ...)` and `field LIKE 'pattern'` (`%` is the only
//! wildcard). Keywords and entity names are case-insensitive. String values
//! are single-quoted; a backslash escapes the next quote or backslash, so a
//! client writes `O'Brien` as `'O\'Brien'` and `a\` as `'a\\'`.
//!
//! Choices where Intuit's behaviour is not confirmed (API.md §4, §12 item 10),
//! made so that a client that relies on them is caught here rather than in
//! production:
//! - `OR` is rejected as a parse error (code 4000), like any other token the
//!   grammar does not allow at that place.
//! - `!=` and `BETWEEN` are rejected.
//! - `=`, `IN` and `LIKE` on strings ignore case.
//! - `MAXRESULTS` above 1000 is an error (code 4001), not silently clamped.
//! - `STARTPOSITION 0` is accepted and means 1.
//! - Without `ORDERBY`, results come in ascending numeric `Id` order; with
//!   one, `Id` breaks ties, so paging is deterministic.
//! - Name-list entities (those with an `Active` flag) return only active
//!   records unless a condition mentions `Active`.
//! - Fields listed after `SELECT *` are accepted and ignored: QBO returns
//!   whole objects.
//!
//! [`execute`] runs a query over any documents by filtering and sorting them
//! all; [`execute_indexed`] gives the same page from a type's indexes
//! ([`crate::index::TypeDocs`]) at the cost of the page.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::index::{StoredDoc, TypeDocs};

/// `MAXRESULTS` when the query gives none (API.md §4.2).
pub const DEFAULT_MAX_RESULTS: usize = 100;
/// The largest `MAXRESULTS` QBO accepts (API.md §4.2).
pub const MAX_MAX_RESULTS: usize = 1000;

/// Fault code for a statement that does not parse (API.md §4.5).
pub const PARSE_ERROR_CODE: &str = "4000";
/// Fault code for a statement that parses but asks for something invalid.
pub const INVALID_QUERY_CODE: &str = "4001";

/// Entity names as QBO spells them, so `FROM ITEM` is answered as `Item`.
const KNOWN_ENTITIES: &[&str] = &[
    "Account",
    "Attachable",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
    "CompanyCurrency",
    "CompanyInfo",
    "CreditCardPayment",
    "CreditMemo",
    "Customer",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "ExchangeRate",
    "InventoryAdjustment",
    "Invoice",
    "Item",
    "JournalCode",
    "JournalEntry",
    "Payment",
    "PaymentMethod",
    "Preferences",
    "Purchase",
    "PurchaseOrder",
    "RecurringTransaction",
    "RefundReceipt",
    "SalesReceipt",
    "TaxAgency",
    "TaxCode",
    "TaxRate",
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
];

/// Entities with an `Active` flag, which QBO filters to active records by
/// default (API.md §4.2, §3.9).
const NAME_LIST_ENTITIES: &[&str] = &[
    "Account",
    "Class",
    "Customer",
    "Department",
    "Employee",
    "Item",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Term",
    "Vendor",
];

/// A parsed statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The entity after `FROM`, in QBO's spelling when it is a known entity.
    pub entity: String,
    /// `SELECT COUNT(*)`: the answer is `totalCount` only.
    pub count_only: bool,
    /// The `WHERE` conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// The `ORDERBY` keys, most significant first.
    pub order_by: Vec<OrderKey>,
    /// 1-based position of the first row returned.
    pub start_position: usize,
    /// The most rows returned.
    pub max_results: usize,
}

/// One `WHERE` condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The field path as written, e.g. `MetaData.LastUpdatedTime`.
    pub field: String,
    pub predicate: Predicate,
}

/// What a condition asks of its field.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Compare(CompareOp, Literal),
    In(Vec<Literal>),
    /// A `LIKE` pattern, `%` standing for any run of characters.
    Like(String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

/// A value written in a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    /// A bare number, kept exact.
    Number(Decimal),
    Bool(bool),
}

/// One `ORDERBY` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderKey {
    pub field: String,
    pub descending: bool,
}

/// A statement QBO would refuse. The core turns it into a `ValidationFault`
/// with `code`, `message` and `detail` (API.md §4.5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}: {detail}")]
pub struct QueryError {
    /// QBO's `Message`, e.g. "Error parsing query".
    pub message: String,
    /// QBO's `Detail`, e.g. `QueryParserError: Encountered ...`.
    pub detail: String,
    /// QBO's fault code: [`PARSE_ERROR_CODE`] or [`INVALID_QUERY_CODE`].
    pub code: &'static str,
}

impl QueryError {
    fn parse(detail: String) -> QueryError {
        QueryError {
            message: "Error parsing query".to_owned(),
            detail: format!("QueryParserError: {detail}"),
            code: PARSE_ERROR_CODE,
        }
    }

    fn invalid(detail: String) -> QueryError {
        QueryError {
            message: "Invalid query".to_owned(),
            detail: format!("QueryValidationError: {detail}"),
            code: INVALID_QUERY_CODE,
        }
    }
}

/// The rows of one page, with the numbers QBO puts in `QueryResponse`.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryOutcome {
    /// The page, in order; empty for `COUNT(*)`.
    pub items: Vec<Value>,
    /// `startPosition` as QBO echoes it (1-based).
    pub start_position: usize,
    /// `maxResults` as QBO reports it: the number of rows returned.
    pub max_results: usize,
    /// How many rows match, before paging (`totalCount`).
    pub total_count: usize,
}

/// Writes `value` as a query string literal, escaping quotes and backslashes.
pub fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for character in value.chars() {
        if character == '\'' || character == '\\' {
            quoted.push('\\');
        }
        quoted.push(character);
    }
    quoted.push('\'');
    quoted
}

/// Parses a statement.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    if text.trim().is_empty() {
        return Err(QueryError::parse("The query provided was empty".to_owned()));
    }
    let tokens = lex(text);
    Parser { tokens, next: 0 }.query()
}

/// Runs `query` over all the documents of its entity: filter, order, page.
pub fn execute<'a>(query: &Query, docs: impl IntoIterator<Item = &'a Value>) -> QueryOutcome {
    let default_active_only = default_active_only(query);
    let mut matching: Vec<&Value> = docs
        .into_iter()
        .filter(|doc| !default_active_only || !is_inactive(doc))
        .filter(|doc| query.conditions.iter().all(|c| condition_holds(c, doc)))
        .collect();
    let total_count = matching.len();
    if query.count_only {
        return QueryOutcome {
            items: Vec::new(),
            start_position: query.start_position,
            max_results: 0,
            total_count,
        };
    }
    matching.sort_by(|left, right| compare_for_order(&query.order_by, left, right));
    let items: Vec<Value> = matching
        .into_iter()
        .skip(query.start_position.saturating_sub(1))
        .take(query.max_results)
        .cloned()
        .collect();
    QueryOutcome {
        max_results: items.len(),
        items,
        start_position: query.start_position,
        total_count,
    }
}

/// One page of a query answered from a type's indexes. The same rows as
/// [`execute`] gives; `total_count` is counted only for `COUNT(*)`, the one
/// answer that carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct PageOutcome<'a> {
    /// The page, in order, borrowed from the type's documents so that a
    /// page is written out without a copy; empty for `COUNT(*)`.
    pub items: Vec<&'a StoredDoc>,
    /// `startPosition` as QBO echoes it (1-based).
    pub start_position: usize,
    /// `maxResults` as QBO reports it: the number of rows returned.
    pub max_results: usize,
    /// How many rows match, for `COUNT(*)`; `None` otherwise.
    pub total_count: Option<usize>,
}

/// Runs `query` over the documents of its type using their indexes: an `Id`
/// order (the default) walks the documents by id from the lowest id the
/// `Id` conditions allow; another order reads the type's cached sorted
/// order. Only the rows up to the end of the page are evaluated, and with
/// no filter the page is found by position. Rows and their order are those
/// of [`execute`].
pub fn execute_indexed<'a>(query: &Query, docs: &'a TypeDocs) -> PageOutcome<'a> {
    let default_active_only = default_active_only(query);
    let matches = |stored: &&StoredDoc| {
        let doc = stored.value();
        (!default_active_only || !is_inactive(doc))
            && query.conditions.iter().all(|c| condition_holds(c, doc))
    };
    let unfiltered = !default_active_only && query.conditions.is_empty();
    // No id can match conditions such as `Id > '9' AND Id < '3'`: an empty
    // range stands for them (a reversed one would not be a range).
    let (low, high) = id_bounds(&query.conditions).unwrap_or((1, 0));
    let ids_in_range = || {
        docs.stored_range(low..=high.max(low))
            .filter(move |_| low <= high)
    };
    if query.count_only {
        let total_count = if unfiltered {
            docs.len()
        } else {
            ids_in_range().filter(matches).count()
        };
        return PageOutcome {
            items: Vec::new(),
            start_position: query.start_position,
            max_results: 0,
            total_count: Some(total_count),
        };
    }
    let skip = query.start_position.saturating_sub(1);
    let take = query.max_results;
    let id_order = match query.order_by.as_slice() {
        [] => Some(false),
        [key] if key.field.eq_ignore_ascii_case("Id") => Some(key.descending),
        _ => None,
    };
    let items: Vec<&StoredDoc> = match id_order {
        // Few rows to pass over: walk by id from the first id allowed.
        Some(descending) if !unfiltered || skip < take.max(DEFAULT_MAX_RESULTS) => {
            let range = ids_in_range();
            if descending {
                range.rev().filter(matches).skip(skip).take(take).collect()
            } else {
                range.filter(matches).skip(skip).take(take).collect()
            }
        }
        _ => docs.with_sorted(&query.order_by, |ids| {
            let rows = ids.iter().filter_map(|id| docs.stored(*id));
            if unfiltered {
                ids.iter()
                    .skip(skip)
                    .take(take)
                    .filter_map(|id| docs.stored(*id))
                    .collect()
            } else {
                rows.filter(matches).skip(skip).take(take).collect()
            }
        }),
    };
    PageOutcome {
        max_results: items.len(),
        items,
        start_position: query.start_position,
        total_count: None,
    }
}

/// The ids of `docs` sorted as [`execute`] sorts them: by the ORDERBY keys,
/// then by numeric `Id`. Each document's sort values are read and parsed
/// once, not at every comparison.
pub(crate) fn sorted_ids(keys: &[OrderKey], docs: &BTreeMap<u64, StoredDoc>) -> Vec<u64> {
    match keys {
        [] => return docs.keys().copied().collect(),
        [key] if key.field.eq_ignore_ascii_case("Id") => {
            return if key.descending {
                docs.keys().rev().copied().collect()
            } else {
                docs.keys().copied().collect()
            };
        }
        _ => {}
    }
    let mut rows: Vec<(u64, Vec<SortValue>)> = docs
        .iter()
        .map(|(id, doc)| {
            let values = keys
                .iter()
                .map(|key| SortValue::of(doc.value(), &key.field))
                .collect();
            (*id, values)
        })
        .collect();
    rows.sort_by(|(left_id, left), (right_id, right)| {
        for ((key, left), right) in keys.iter().zip(left).zip(right) {
            let ordering = left.compare(right);
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        left_id.cmp(right_id)
    });
    rows.into_iter().map(|(id, _)| id).collect()
}

/// A document's value for one sort key, parsed once: what
/// [`compare_values`] would read from it at every comparison.
#[derive(Debug)]
struct SortValue {
    value: Option<Parsed>,
    id_field: bool,
}

#[derive(Debug)]
enum Parsed {
    Bool(bool),
    Number(Option<Decimal>),
    Text {
        temporal: Option<Temporal>,
        number: Option<Decimal>,
        folded: String,
    },
    Other(u8),
}

impl SortValue {
    fn of(doc: &Value, field: &str) -> SortValue {
        let value = resolve(doc, field).map(|value| match value {
            Value::Bool(flag) => Parsed::Bool(*flag),
            Value::Number(number) => Parsed::Number(number_to_decimal(number)),
            Value::String(text) => Parsed::Text {
                temporal: Temporal::parse(text),
                number: Decimal::from_str(text.trim()).ok(),
                folded: text.to_lowercase(),
            },
            other => Parsed::Other(kind_rank(other)),
        });
        SortValue {
            value,
            id_field: is_id_field(doc, field),
        }
    }

    /// [`compare_values`] over the parsed forms.
    fn compare(&self, other: &SortValue) -> Ordering {
        let id_field = self.id_field || other.id_field;
        match (&self.value, &other.value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(left), Some(right)) => match (left, right) {
                (Parsed::Bool(a), Parsed::Bool(b)) => a.cmp(b),
                (Parsed::Number(a), Parsed::Number(b)) => a.cmp(b),
                (
                    Parsed::Text {
                        temporal: left_time,
                        number: left_number,
                        folded: left_text,
                    },
                    Parsed::Text {
                        temporal: right_time,
                        number: right_number,
                        folded: right_text,
                    },
                ) => {
                    if let (Some(left_time), Some(right_time)) = (left_time, right_time)
                        && let Some(ordering) = left_time.order(right_time)
                    {
                        return ordering;
                    }
                    if id_field && let (Some(a), Some(b)) = (left_number, right_number) {
                        return a.cmp(b);
                    }
                    left_text.cmp(right_text)
                }
                _ => left.rank().cmp(&right.rank()),
            },
        }
    }
}

impl Parsed {
    fn rank(&self) -> u8 {
        match self {
            Parsed::Bool(_) => 1,
            Parsed::Number(_) => 2,
            Parsed::Text { .. } => 3,
            Parsed::Other(rank) => *rank,
        }
    }
}

/// The narrowest id range the conditions on `Id` allow, for a range scan;
/// every condition is still evaluated on each row, so the range only has to
/// hold every matching id.
fn id_bounds(conditions: &[Condition]) -> Option<(u64, u64)> {
    let (mut low, mut high) = (0u64, u64::MAX);
    for condition in conditions {
        if !condition.field.eq_ignore_ascii_case("Id") {
            continue;
        }
        let Predicate::Compare(operator, literal) = &condition.predicate else {
            continue;
        };
        let number = match literal {
            Literal::Number(number) => Some(*number),
            Literal::String(text) => Decimal::from_str(text.trim()).ok(),
            Literal::Bool(_) => None,
        };
        let Some(number) = number else {
            continue;
        };
        let floor = clamp_to_id(number.floor());
        let ceiling = clamp_to_id(number.ceil());
        match operator {
            CompareOp::Gt | CompareOp::Ge => low = low.max(floor),
            CompareOp::Lt | CompareOp::Le => high = high.min(ceiling),
            CompareOp::Eq => {
                low = low.max(floor);
                high = high.min(ceiling);
            }
        }
    }
    (low <= high).then_some((low, high))
}

/// A whole number as an id bound: below zero is 0, beyond `u64` is its max.
fn clamp_to_id(number: Decimal) -> u64 {
    if number.is_sign_negative() {
        0
    } else {
        u64::try_from(number).unwrap_or(u64::MAX)
    }
}

fn default_active_only(query: &Query) -> bool {
    NAME_LIST_ENTITIES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(&query.entity))
        && !query
            .conditions
            .iter()
            .any(|condition| condition.field.eq_ignore_ascii_case("Active"))
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    /// A word: a keyword, an entity or a (dotted) field name.
    Word,
    /// A quoted string; the payload is the unescaped value.
    Str(String),
    Number,
    Star,
    LeftParen,
    RightParen,
    Comma,
    Operator(CompareOp),
    End,
    /// Text the lexer could not read. Like QBO's parser, which reads tokens
    /// as it goes, the error is reported only if parsing gets this far.
    Invalid(Box<QueryError>),
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    /// The text as written (the "image" in QBO's messages).
    image: String,
    line: usize,
    column: usize,
}

impl Token {
    fn is_keyword(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.image.eq_ignore_ascii_case(keyword)
    }

    /// The token as QBO's parser names it in "Encountered ..." messages.
    fn describe(&self) -> String {
        let kind = match &self.kind {
            TokenKind::End | TokenKind::Invalid(_) => return "\"<EOF>\"".to_owned(),
            TokenKind::Word => match self.image.to_ascii_lowercase().as_str() {
                "and" => "<AND>".to_owned(),
                "or" => "<OR>".to_owned(),
                "in" => "<IN>".to_owned(),
                "like" => "<LIKE>".to_owned(),
                "true" | "false" => "<BOOLEAN>".to_owned(),
                keyword @ ("select" | "from" | "where" | "count" | "order" | "orderby" | "by"
                | "asc" | "desc" | "startposition" | "maxresults" | "iterator") => {
                    format!("\"{keyword}\"")
                }
                _ => "<IDENTIFIER>".to_owned(),
            },
            TokenKind::Str(_) => "<STRING>".to_owned(),
            TokenKind::Number => "<INTEGER>".to_owned(),
            TokenKind::Star
            | TokenKind::LeftParen
            | TokenKind::RightParen
            | TokenKind::Comma
            | TokenKind::Operator(_) => format!("\"{}\"", self.image),
        };
        format!("\" {kind} \"{} \"\"", self.image)
    }
}

fn lex(text: &str) -> Vec<Token> {
    let characters: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    let (mut line, mut column) = (1, 1);
    // Moves past one character, keeping line and column in step.
    let advance = |index: &mut usize, line: &mut usize, column: &mut usize| {
        if characters.get(*index) == Some(&'\n') {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
        *index += 1;
    };
    while let Some(&character) = characters.get(index) {
        if character.is_whitespace() {
            advance(&mut index, &mut line, &mut column);
            continue;
        }
        let (start, start_line, start_column) = (index, line, column);
        let kind = 'token: {
            match character {
                '*' | '(' | ')' | ',' | '=' => {
                    advance(&mut index, &mut line, &mut column);
                    match character {
                        '*' => TokenKind::Star,
                        '(' => TokenKind::LeftParen,
                        ')' => TokenKind::RightParen,
                        ',' => TokenKind::Comma,
                        _ => TokenKind::Operator(CompareOp::Eq),
                    }
                }
                '<' | '>' => {
                    advance(&mut index, &mut line, &mut column);
                    let or_equal = characters.get(index) == Some(&'=');
                    if or_equal {
                        advance(&mut index, &mut line, &mut column);
                    }
                    TokenKind::Operator(match (character, or_equal) {
                        ('<', false) => CompareOp::Lt,
                        ('<', true) => CompareOp::Le,
                        (_, false) => CompareOp::Gt,
                        (_, true) => CompareOp::Ge,
                    })
                }
                '\'' => {
                    advance(&mut index, &mut line, &mut column);
                    let mut value = String::new();
                    loop {
                        match characters.get(index) {
                            None => {
                                let written: String = characters[start..].iter().collect();
                                break 'token TokenKind::Invalid(Box::new(QueryError::parse(
                                    format!(
                                        "Invalid content. Lexical error at line {line}, column {column}.  Encountered: <EOF> after : \"{}\"",
                                        escape_for_message(&written)
                                    ),
                                )));
                            }
                            Some('\'') => {
                                advance(&mut index, &mut line, &mut column);
                                break;
                            }
                            Some('\\') => {
                                advance(&mut index, &mut line, &mut column);
                                match characters.get(index) {
                                    Some(&escaped @ ('\'' | '\\')) => {
                                        value.push(escaped);
                                        advance(&mut index, &mut line, &mut column);
                                    }
                                    // Any other backslash is kept as written, so
                                    // clients that only escape quotes still match.
                                    _ => value.push('\\'),
                                }
                            }
                            Some(&other) => {
                                value.push(other);
                                advance(&mut index, &mut line, &mut column);
                            }
                        }
                    }
                    TokenKind::Str(value)
                }
                '-' | '0'..='9' => {
                    advance(&mut index, &mut line, &mut column);
                    while characters
                        .get(index)
                        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                    {
                        advance(&mut index, &mut line, &mut column);
                    }
                    TokenKind::Number
                }
                c if c.is_ascii_alphabetic() || c == '_' => {
                    while characters
                        .get(index)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                    {
                        advance(&mut index, &mut line, &mut column);
                    }
                    TokenKind::Word
                }
                other => {
                    let before: String = characters[..start].iter().collect();
                    let after = before.split_whitespace().last().unwrap_or_default();
                    TokenKind::Invalid(Box::new(QueryError::parse(format!(
                        "Invalid content. Lexical error at line {line}, column {column}.  Encountered: \"{}\" ({}), after : \"{}\"",
                        escape_for_message(&other.to_string()),
                        u32::from(other),
                        escape_for_message(after)
                    ))))
                }
            }
        };
        let invalid = matches!(kind, TokenKind::Invalid(_));
        tokens.push(Token {
            kind,
            image: characters[start..index].iter().collect(),
            line: start_line,
            column: start_column,
        });
        if invalid {
            return tokens;
        }
    }
    tokens.push(Token {
        kind: TokenKind::End,
        image: String::new(),
        line,
        column,
    });
    tokens
}

/// Escapes text quoted inside an error detail the way a Java parser prints it.
fn escape_for_message(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace('"', "\\\"")
}

// ---------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    next: usize,
}

/// What may follow a complete condition, as QBO lists it.
const AFTER_CONDITION: &[&str] = &[
    "<EOF>",
    "<AND>",
    "\"maxresults\"",
    "\"order\"",
    "\"orderby\"",
    "\"startposition\"",
];
const AFTER_ENTITY: &[&str] = &[
    "<EOF>",
    "\"maxresults\"",
    "\"order\"",
    "\"orderby\"",
    "\"startposition\"",
    "\"where\"",
];
const AFTER_ORDER_KEY: &[&str] = &[
    "<EOF>",
    "\",\"",
    "\"asc\"",
    "\"desc\"",
    "\"maxresults\"",
    "\"startposition\"",
];
const AFTER_PAGING: &[&str] = &["<EOF>", "\"maxresults\"", "\"startposition\""];
const OPERATORS: &[&str] = &[
    "\"=\"", "\"<\"", "\">\"", "\"<=\"", "\">=\"", "<IN>", "<LIKE>",
];
const VALUES: &[&str] = &["<STRING>", "<INTEGER>", "<BOOLEAN>"];

impl Parser {
    fn peek(&self) -> &Token {
        // lex always ends the list with an End or Invalid token, which is
        // never consumed.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.next.min(last)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if !matches!(token.kind, TokenKind::End | TokenKind::Invalid(_)) {
            self.next += 1;
        }
        token
    }

    fn unexpected(&self, expected: &[&str]) -> QueryError {
        let token = self.peek();
        if let TokenKind::Invalid(error) = &token.kind {
            return (**error).clone();
        }
        let mut detail = format!(
            "Encountered {} at line {}, column {}.\nWas expecting",
            token.describe(),
            token.line,
            token.column
        );
        if let [only] = expected {
            detail.push_str(&format!(":\n    {only} ...\n    "));
        } else {
            detail.push_str(" one of:\n");
            for item in expected {
                if *item == "<EOF>" {
                    detail.push_str("    <EOF> \n");
                } else {
                    detail.push_str(&format!("    {item} ...\n"));
                }
            }
            detail.push_str("    ");
        }
        QueryError::parse(detail)
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), QueryError> {
        if self.peek().is_keyword(keyword) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&[&format!("\"{keyword}\"")]))
        }
    }

    fn expect(&mut self, kind: &TokenKind, described: &str) -> Result<(), QueryError> {
        if &self.peek().kind == kind {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&[described]))
        }
    }

    fn word(&mut self, expected: &str) -> Result<String, QueryError> {
        if self.peek().kind == TokenKind::Word {
            Ok(self.bump().image)
        } else {
            Err(self.unexpected(&[expected]))
        }
    }

    fn query(mut self) -> Result<Query, QueryError> {
        self.expect_keyword("select")?;
        let count_only = if self.peek().is_keyword("count") {
            self.bump();
            self.expect(&TokenKind::LeftParen, "\"(\"")?;
            self.expect(&TokenKind::Star, "\"*\"")?;
            self.expect(&TokenKind::RightParen, "\")\"")?;
            true
        } else {
            // Projections are not supported: QBO returns whole objects. A
            // list of fields after the star is accepted and changes nothing,
            // since public clients send one (python-quickbooks asks for
            // `SELECT *, Sku FROM Item`).
            self.expect(&TokenKind::Star, "\"*\"")?;
            while self.peek().kind == TokenKind::Comma {
                self.bump();
                if self.peek().kind == TokenKind::Star {
                    self.bump();
                } else {
                    self.word("<IDENTIFIER>")?;
                }
            }
            false
        };
        self.expect_keyword("from")?;
        let written_entity = self.word("<IDENTIFIER>")?;
        let entity = KNOWN_ENTITIES
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&written_entity))
            .map_or(written_entity, |known| (*known).to_owned());

        let mut conditions = Vec::new();
        if self.peek().is_keyword("where") {
            self.bump();
            conditions.push(self.condition()?);
            while self.peek().is_keyword("and") {
                self.bump();
                conditions.push(self.condition()?);
            }
        }
        let after_filter = if conditions.is_empty() {
            AFTER_ENTITY
        } else {
            AFTER_CONDITION
        };

        let mut order_by = Vec::new();
        if self.peek().is_keyword("orderby") || self.peek().is_keyword("order") {
            if self.bump().image.eq_ignore_ascii_case("order") {
                self.expect_keyword("by")?;
            }
            loop {
                let field = self.word("<IDENTIFIER>")?;
                let descending = if self.peek().is_keyword("desc") {
                    self.bump();
                    true
                } else {
                    if self.peek().is_keyword("asc") {
                        self.bump();
                    }
                    false
                };
                order_by.push(OrderKey { field, descending });
                if self.peek().kind == TokenKind::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }

        let mut start_position = None;
        let mut max_results = None;
        loop {
            let token = self.peek().clone();
            if token.is_keyword("startposition") && start_position.is_none() {
                self.bump();
                start_position = Some(self.count()?);
            } else if token.is_keyword("maxresults") && max_results.is_none() {
                self.bump();
                max_results = Some(self.count()?);
            } else if token.kind == TokenKind::End {
                break;
            } else {
                let expected = if start_position.is_some() || max_results.is_some() {
                    AFTER_PAGING
                } else if !order_by.is_empty() {
                    AFTER_ORDER_KEY
                } else {
                    after_filter
                };
                return Err(self.unexpected(expected));
            }
        }

        let max_results = max_results.unwrap_or(DEFAULT_MAX_RESULTS);
        if max_results > MAX_MAX_RESULTS {
            return Err(QueryError::invalid(format!(
                "value {max_results} is too large. Max allowed value is {MAX_MAX_RESULTS}"
            )));
        }
        Ok(Query {
            entity,
            count_only,
            conditions,
            order_by,
            start_position: start_position.unwrap_or(1).max(1),
            max_results,
        })
    }

    /// A non-negative whole number after STARTPOSITION or MAXRESULTS.
    fn count(&mut self) -> Result<usize, QueryError> {
        let token = self.peek().clone();
        let digits = match &token.kind {
            TokenKind::Number => token.image.as_str(),
            // Quoted numbers are accepted wherever values are.
            TokenKind::Str(value) => value.as_str(),
            _ => return Err(self.unexpected(&["<INTEGER>"])),
        };
        match digits.parse::<usize>() {
            Ok(count) => {
                self.bump();
                Ok(count)
            }
            Err(_) => Err(QueryError::invalid(format!(
                "value {digits} is not a valid non-negative integer"
            ))),
        }
    }

    fn condition(&mut self) -> Result<Condition, QueryError> {
        let field = self.word("<IDENTIFIER>")?;
        let token = self.peek().clone();
        let predicate = match token.kind {
            TokenKind::Operator(operator) => {
                self.bump();
                Predicate::Compare(operator, self.literal()?)
            }
            TokenKind::Word if token.is_keyword("in") => {
                self.bump();
                self.expect(&TokenKind::LeftParen, "\"(\"")?;
                let mut values = vec![self.literal()?];
                while self.peek().kind == TokenKind::Comma {
                    self.bump();
                    values.push(self.literal()?);
                }
                self.expect(&TokenKind::RightParen, "\")\"")?;
                Predicate::In(values)
            }
            TokenKind::Word if token.is_keyword("like") => {
                self.bump();
                match self.peek().kind.clone() {
                    TokenKind::Str(pattern) => {
                        self.bump();
                        Predicate::Like(pattern)
                    }
                    _ => return Err(self.unexpected(&["<STRING>"])),
                }
            }
            _ => return Err(self.unexpected(OPERATORS)),
        };
        Ok(Condition { field, predicate })
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let token = self.peek().clone();
        let literal = match &token.kind {
            TokenKind::Str(value) => Literal::String(value.clone()),
            TokenKind::Number => match Decimal::from_str(&token.image) {
                Ok(number) => Literal::Number(number),
                Err(_) => return Err(self.unexpected(VALUES)),
            },
            TokenKind::Word if token.is_keyword("true") => Literal::Bool(true),
            TokenKind::Word if token.is_keyword("false") => Literal::Bool(false),
            _ => return Err(self.unexpected(VALUES)),
        };
        self.bump();
        Ok(literal)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            CompareOp::Eq => "=",
            CompareOp::Lt => "<",
            CompareOp::Gt => ">",
            CompareOp::Le => "<=",
            CompareOp::Ge => ">=",
        })
    }
}

// ---------------------------------------------------------------------------
// Evaluation

fn is_inactive(doc: &Value) -> bool {
    matches!(doc.get("Active"), Some(Value::Bool(false)))
}

/// The value at a dotted path. Names match exactly first, then ignoring
/// case, since QBO's query fields are not case-sensitive. A reference
/// (`{"value": …, "name": …}`) stands for its `value`.
fn resolve<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = doc;
    for segment in path.split('.') {
        let object = current.as_object()?;
        current = match object.get(segment) {
            Some(value) => value,
            None => {
                object
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(segment))?
                    .1
            }
        };
    }
    match current {
        Value::Object(object) => object.get("value"),
        Value::Null => None,
        other => Some(other),
    }
}

/// Whether the field holds ids, which compare as numbers although QBO
/// sends them as strings.
fn is_id_field(doc: &Value, path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    if last.eq_ignore_ascii_case("Id") {
        return true;
    }
    let mut current = doc;
    for segment in path.split('.') {
        let found = current.as_object().and_then(|object| {
            object.get(segment).or_else(|| {
                object
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(segment))
                    .map(|(_, value)| value)
            })
        });
        match found {
            Some(value) => current = value,
            None => return false,
        }
    }
    current.is_object()
}

fn condition_holds(condition: &Condition, doc: &Value) -> bool {
    let Some(value) = resolve(doc, &condition.field) else {
        return false;
    };
    let id_field = is_id_field(doc, &condition.field);
    match &condition.predicate {
        Predicate::Compare(operator, literal) => compare_to_literal(value, literal, id_field)
            .is_some_and(|ordering| match operator {
                CompareOp::Eq => ordering == Ordering::Equal,
                CompareOp::Lt => ordering == Ordering::Less,
                CompareOp::Gt => ordering == Ordering::Greater,
                CompareOp::Le => ordering != Ordering::Greater,
                CompareOp::Ge => ordering != Ordering::Less,
            }),
        Predicate::In(literals) => literals
            .iter()
            .any(|literal| compare_to_literal(value, literal, id_field) == Some(Ordering::Equal)),
        Predicate::Like(pattern) => match value {
            Value::String(text) => like_matches(&text.to_lowercase(), &pattern.to_lowercase()),
            Value::Number(number) => like_matches(&number.to_string(), pattern),
            _ => false,
        },
    }
}

/// Orders the document's value against a literal; `None` when they cannot
/// be compared (the condition then does not hold).
fn compare_to_literal(value: &Value, literal: &Literal, id_field: bool) -> Option<Ordering> {
    match (value, literal) {
        (Value::Bool(held), Literal::Bool(wanted)) => Some(held.cmp(wanted)),
        (Value::Bool(held), Literal::String(text)) => {
            parse_bool(text).map(|wanted| held.cmp(&wanted))
        }
        (Value::Number(number), Literal::Number(wanted)) => {
            Some(number_to_decimal(number)?.cmp(wanted))
        }
        (Value::Number(number), Literal::String(text)) => {
            Some(number_to_decimal(number)?.cmp(&Decimal::from_str(text.trim()).ok()?))
        }
        (Value::String(text), Literal::String(wanted)) => {
            Some(compare_strings(text, wanted, id_field))
        }
        (Value::String(text), Literal::Number(wanted)) => {
            Some(Decimal::from_str(text.trim()).ok()?.cmp(wanted))
        }
        (Value::String(text), Literal::Bool(wanted)) => {
            parse_bool(text).map(|held| held.cmp(wanted))
        }
        _ => None,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn number_to_decimal(number: &serde_json::Number) -> Option<Decimal> {
    let text = number.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Compares a string held with one written in a query (a filter): as
/// instants or dates when both are, as numbers for ids, otherwise ignoring
/// case.
fn compare_strings(held: &str, wanted: &str, id_field: bool) -> Ordering {
    compare_texts(held, wanted, id_field, Temporal::compare)
}

/// Orders two strings held (a sort): as [`compare_strings`], with times
/// ordered by [`Temporal::order`].
fn order_strings(left: &str, right: &str, id_field: bool) -> Ordering {
    compare_texts(left, right, id_field, Temporal::order)
}

fn compare_texts(
    held: &str,
    wanted: &str,
    id_field: bool,
    by_time: fn(&Temporal, &Temporal) -> Option<Ordering>,
) -> Ordering {
    if let (Some(held_time), Some(wanted_time)) = (Temporal::parse(held), Temporal::parse(wanted))
        && let Some(ordering) = by_time(&held_time, &wanted_time)
    {
        return ordering;
    }
    if id_field
        && let (Ok(held_number), Ok(wanted_number)) = (
            Decimal::from_str(held.trim()),
            Decimal::from_str(wanted.trim()),
        )
    {
        return held_number.cmp(&wanted_number);
    }
    held.to_lowercase().cmp(&wanted.to_lowercase())
}

/// A date or date-time as QBO writes them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Temporal {
    /// A date-time with a UTC offset: a definite instant.
    Instant(DateTime<FixedOffset>),
    /// A date-time without offset.
    Local(NaiveDateTime),
    Date(NaiveDate),
}

impl Temporal {
    fn parse(text: &str) -> Option<Temporal> {
        let text = text.trim();
        // Cheap check first: every form starts with YYYY-MM-DD.
        let bytes = text.as_bytes();
        if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        if bytes.len() == 10 {
            return NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(Temporal::Date);
        }
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Some(Temporal::Instant(instant));
        }
        // Offsets without a colon (`-0700`), as in the legacy webhook sample.
        if let Ok(instant) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
            return Some(Temporal::Instant(instant));
        }
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
            .ok()
            .map(Temporal::Local)
    }

    /// Compares two points in time. A date or a date-time without offset
    /// read against an instant is taken in that instant's offset (the
    /// company's time zone, in which QBO writes MetaData times); a date-time
    /// read against a date is cut to its local date.
    fn compare(&self, other: &Temporal) -> Option<Ordering> {
        use Temporal::{Date, Instant, Local};
        let local_in =
            |local: NaiveDateTime, offset: FixedOffset| offset.from_local_datetime(&local).single();
        match (*self, *other) {
            (Instant(left), Instant(right)) => Some(left.cmp(&right)),
            (Instant(left), Local(right)) => Some(left.cmp(&local_in(right, *left.offset())?)),
            (Local(left), Instant(right)) => Some(local_in(left, *right.offset())?.cmp(&right)),
            (Instant(left), Date(right)) => {
                Some(left.cmp(&local_in(right.and_time(NaiveTime::MIN), *left.offset())?))
            }
            (Date(left), Instant(right)) => Some(left.cmp(&right.date_naive())),
            (Local(left), Local(right)) => Some(left.cmp(&right)),
            (Local(left), Date(right)) => Some(left.cmp(&right.and_time(NaiveTime::MIN))),
            (Date(left), Local(right)) => Some(left.cmp(&right.date())),
            (Date(left), Date(right)) => Some(left.cmp(&right)),
        }
    }

    /// Orders two times held, for a sort: as [`Temporal::compare`], but a
    /// date is its midnight whichever side it is on. `compare` cuts a time
    /// to its date only when the date is on the left (what a filter on a
    /// date field written with a time wants), so a date and a later time of
    /// the same day were equal one way round and ordered the other, and a
    /// sort could place them either way.
    fn order(&self, other: &Temporal) -> Option<Ordering> {
        match (*self, *other) {
            (Temporal::Date(_), Temporal::Instant(_) | Temporal::Local(_)) => {
                other.compare(self).map(Ordering::reverse)
            }
            _ => self.compare(other),
        }
    }
}

/// `LIKE` with `%` as the only wildcard; both sides already case-folded.
fn like_matches(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        // No `%`: the pattern is the whole text.
        return text == pattern;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(found) => rest = &rest[found + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Orders two documents by the ORDERBY keys, then by numeric Id.
pub(crate) fn compare_for_order(keys: &[OrderKey], left: &Value, right: &Value) -> Ordering {
    for key in keys {
        let ordering = compare_values(
            resolve(left, &key.field),
            resolve(right, &key.field),
            is_id_field(left, &key.field) || is_id_field(right, &key.field),
        );
        let ordering = if key.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    compare_values(resolve(left, "Id"), resolve(right, "Id"), true)
}

/// A total order over field values for sorting; missing values first.
fn compare_values(left: Option<&Value>, right: Option<&Value>, id_field: bool) -> Ordering {
    match (left, right) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(left), Some(right)) => match (left, right) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => number_to_decimal(a).cmp(&number_to_decimal(b)),
            (Value::String(a), Value::String(b)) => order_strings(a, b, id_field),
            // Mixed kinds do not occur for one field of one entity; any
            // fixed order will do.
            _ => kind_rank(left).cmp(&kind_rank(right)),
        },
    }
}

fn kind_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ids(outcome: &QueryOutcome) -> Vec<String> {
        outcome
            .items
            .iter()
            .map(|item| item["Id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn run(text: &str, docs: &[Value]) -> QueryOutcome {
        execute(&parse(text).unwrap(), docs)
    }

    fn customers() -> Vec<Value> {
        // Parsed from text, not built with json!, so that numbers keep every
        // digit (json! would go through f64).
        serde_json::from_str(
            r#"[
            {"Id": "10", "DisplayName": "Amy's Bird Sanctuary", "Balance": 239.00, "Active": true,
             "MetaData": {"LastUpdatedTime": "2015-03-01T09:30:00-08:00"}},
            {"Id": "2", "DisplayName": "Bill's Windsurf Shop", "Balance": 85, "Active": true,
             "MetaData": {"LastUpdatedTime": "2015-03-01T10:30:00-07:00"}},
            {"Id": "3", "DisplayName": "Cool Cars", "Balance": 0.1, "Active": false,
             "MetaData": {"LastUpdatedTime": "2015-03-02T00:00:00Z"}},
            {"Id": "1", "DisplayName": "Diego Rodriguez", "Balance": 0.10000000000000000001, "Active": true,
             "MetaData": {"LastUpdatedTime": "2015-02-27T12:00:00-08:00"}}
            ]"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_the_full_grammar_case_insensitively() {
        let query = parse(
            "select * from customer Where DisplayName LIKE 'A%' and Balance >= 10 \
             AND Active IN (true, false) orderBy Balance desc, DisplayName \
             startPosition 2 maxResults 5",
        )
        .unwrap();
        assert_eq!(query.entity, "Customer");
        assert!(!query.count_only);
        assert_eq!(query.conditions.len(), 3);
        assert_eq!(query.conditions[0].predicate, Predicate::Like("A%".into()));
        assert_eq!(
            query.conditions[1].predicate,
            Predicate::Compare(CompareOp::Ge, Literal::Number(Decimal::from(10)))
        );
        assert_eq!(
            query.conditions[2].predicate,
            Predicate::In(vec![Literal::Bool(true), Literal::Bool(false)])
        );
        assert_eq!(
            query.order_by,
            vec![
                OrderKey {
                    field: "Balance".into(),
                    descending: true
                },
                OrderKey {
                    field: "DisplayName".into(),
                    descending: false
                }
            ]
        );
        assert_eq!((query.start_position, query.max_results), (2, 5));
    }

    #[test]
    fn defaults_and_count() {
        let query = parse("SELECT COUNT(*) FROM Invoice").unwrap();
        assert!(query.count_only);
        assert_eq!((query.start_position, query.max_results), (1, 100));
        let query =
            parse("SELECT * FROM Item ORDER BY Name MAXRESULTS 1000 STARTPOSITION 0").unwrap();
        assert_eq!((query.start_position, query.max_results), (1, 1000));
        assert_eq!(query.entity, "Item");
        assert_eq!(parse("SELECT * FROM Widget").unwrap().entity, "Widget");
    }

    #[test]
    fn or_is_a_parse_error() {
        let error = parse("SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'")
            .unwrap_err();
        assert_eq!(error.code, "4000");
        assert_eq!(error.message, "Error parsing query");
        assert!(
            error.detail.starts_with(
                "QueryParserError: Encountered \" <OR> \"OR \"\" at line 1, column 48."
            ),
            "{}",
            error.detail
        );
        assert!(error.detail.contains("<AND> ..."));
    }

    #[test]
    fn unescaped_quote_gives_qbos_message() {
        // The shape QBO gave for this mistake (API.md §4.5, node-quickbooks#56).
        let error = parse("select * from vendor where DisplayName = 'Cutlery 'R Us'").unwrap_err();
        assert!(
            error.detail.starts_with(
                "QueryParserError: Encountered \" <IDENTIFIER> \"R \"\" at line 1, column 52.\nWas expecting one of:\n    <EOF> \n    <AND> ..."
            ),
            "{}",
            error.detail
        );
    }

    #[test]
    fn lexical_errors() {
        let error = parse("SELECT * FROM Customer WHERE DisplayName = ’x’").unwrap_err();
        assert!(
            error.detail.contains("Lexical error at line 1, column 44"),
            "{}",
            error.detail
        );
        assert!(error.detail.contains("(8217)"));
        let error = parse("SELECT * FROM Item WHERE Name = 'b\\'").unwrap_err();
        assert!(
            error.detail.contains("Encountered: <EOF>"),
            "{}",
            error.detail
        );
        assert!(parse("SELECT * FROM Item WHERE Name != 'b'").is_err());
        let error = parse("   ").unwrap_err();
        assert_eq!(
            error.detail,
            "QueryParserError: The query provided was empty"
        );
    }

    #[test]
    fn other_parse_errors() {
        for text in [
            "SELECT Id FROM Customer",
            "SELECT * Customer",
            "SELECT * FROM Customer WHERE",
            "SELECT * FROM Customer WHERE Balance BETWEEN 1 AND 2",
            "SELECT * FROM Customer WHERE Balance = ",
            "SELECT * FROM Customer WHERE Balance IN ()",
            "SELECT * FROM Customer WHERE Name LIKE 5",
            "SELECT * FROM Customer ORDERBY",
            "SELECT * FROM Customer MAXRESULTS x",
            "SELECT * FROM Customer MAXRESULTS 5 MAXRESULTS 6",
            "SELECT * FROM Customer STARTPOSITION -1",
            "SELECT * FROM Customer extra",
            "SELECT COUNT(Id) FROM Customer",
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.detail.starts_with("Query"), "{text}: {error:?}");
        }
    }

    #[test]
    fn max_results_above_1000_is_refused() {
        let error = parse("SELECT * FROM Customer MAXRESULTS 1001").unwrap_err();
        assert_eq!(error.code, "4001");
        assert!(error.detail.contains("1001"));
    }

    #[test]
    fn default_order_is_numeric_id_and_inactive_are_hidden() {
        let docs = customers();
        let outcome = run("SELECT * FROM Customer", &docs);
        assert_eq!(ids(&outcome), ["1", "2", "10"]);
        assert_eq!((outcome.total_count, outcome.max_results), (3, 3));
        let outcome = run(
            "SELECT * FROM Customer WHERE Active IN (true, false)",
            &docs,
        );
        assert_eq!(ids(&outcome), ["1", "2", "3", "10"]);
        let outcome = run("SELECT * FROM Customer WHERE Active = false", &docs);
        assert_eq!(ids(&outcome), ["3"]);
        let outcome = run("SELECT * FROM Customer WHERE active = 'false'", &docs);
        assert_eq!(ids(&outcome), ["3"]);
        let outcome = run("SELECT COUNT(*) FROM Customer", &docs);
        assert!(outcome.items.is_empty());
        assert_eq!(outcome.total_count, 3);
    }

    #[test]
    fn transactions_have_no_default_active_filter() {
        let docs = vec![json!({"Id": "1", "Active": false}), json!({"Id": "2"})];
        assert_eq!(ids(&run("SELECT * FROM Invoice", &docs)), ["1", "2"]);
    }

    #[test]
    fn numbers_compare_exactly() {
        let docs = customers();
        let outcome = run("SELECT * FROM Customer WHERE Balance > 0.1", &docs);
        assert_eq!(ids(&outcome), ["1", "2", "10"]);
        let outcome = run("SELECT * FROM Customer WHERE Balance = '85.00'", &docs);
        assert_eq!(ids(&outcome), ["2"]);
        let outcome = run(
            "SELECT * FROM Customer WHERE Balance <= 85 ORDERBY Balance DESC",
            &docs,
        );
        assert_eq!(ids(&outcome), ["2", "1"]);
    }

    #[test]
    fn instants_compare_across_offsets() {
        let docs = customers();
        // 10:30-07:00 is 17:30Z; 09:30-08:00 is 17:30Z too.
        let outcome = run(
            "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2015-03-01T10:00:00-07:00' \
             AND Active IN (true, false)",
            &docs,
        );
        assert_eq!(ids(&outcome), ["2", "3", "10"]);
        let outcome = run(
            "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2015-03-01T17:30:00Z'",
            &docs,
        );
        assert_eq!(ids(&outcome), ["2", "10"]);
        let outcome = run(
            "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime < '2015-03-01' ",
            &docs,
        );
        assert_eq!(ids(&outcome), ["1"]);
        let outcome = run(
            "SELECT * FROM Customer ORDERBY MetaData.LastUpdatedTime DESC",
            &docs,
        );
        // 2 and 10 are the same instant: Id breaks the tie.
        assert_eq!(ids(&outcome), ["2", "10", "1"]);
    }

    #[test]
    fn dates_compare_as_dates() {
        let docs = vec![
            json!({"Id": "1", "TxnDate": "2015-07-24"}),
            json!({"Id": "2", "TxnDate": "2015-07-03"}),
            json!({"Id": "3", "TxnDate": "2014-12-31"}),
        ];
        let outcome = run("SELECT * FROM Invoice WHERE TxnDate >= '2015-07-03'", &docs);
        assert_eq!(ids(&outcome), ["1", "2"]);
        let outcome = run(
            "SELECT * FROM Invoice WHERE TxnDate = '2015-07-03T23:00:00-07:00'",
            &docs,
        );
        assert_eq!(ids(&outcome), ["2"]);
        let outcome = run("SELECT * FROM Invoice ORDERBY TxnDate", &docs);
        assert_eq!(ids(&outcome), ["3", "2", "1"]);
    }

    #[test]
    fn a_date_sorts_at_its_midnight_whichever_side_it_is_on() {
        let date = json!({"Id": "10", "MetaData": {"LastUpdatedTime": "2015-07-03"}});
        let later =
            json!({"Id": "5", "MetaData": {"LastUpdatedTime": "2015-07-03T10:00:00-07:00"}});
        let earlier =
            json!({"Id": "7", "MetaData": {"LastUpdatedTime": "2015-07-02T23:00:00-07:00"}});
        let statement = "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime";
        for docs in [
            vec![date.clone(), later.clone(), earlier.clone()],
            vec![later.clone(), earlier.clone(), date.clone()],
            vec![earlier.clone(), date.clone(), later.clone()],
        ] {
            assert_eq!(ids(&run(statement, &docs)), ["7", "10", "5"]);
        }
        // A filter on a date written with a time still reads its date.
        let dated = vec![json!({"Id": "2", "TxnDate": "2015-07-03"})];
        let outcome = run(
            "SELECT * FROM Invoice WHERE TxnDate = '2015-07-03T23:00:00-07:00'",
            &dated,
        );
        assert_eq!(ids(&outcome), ["2"]);
    }

    #[test]
    fn references_and_ids() {
        let docs = vec![
            json!({"Id": "9", "CustomerRef": {"value": "12", "name": "Amy"}}),
            json!({"Id": "10", "CustomerRef": {"value": "2", "name": "Bill"}}),
            json!({"Id": "100", "CustomerRef": {"value": "2"}}),
        ];
        assert_eq!(
            ids(&run("SELECT * FROM Invoice WHERE CustomerRef = '2'", &docs)),
            ["10", "100"]
        );
        assert_eq!(
            ids(&run("SELECT * FROM Invoice WHERE CustomerRef > '3'", &docs)),
            ["9"]
        );
        assert_eq!(
            ids(&run(
                "SELECT * FROM Invoice WHERE Id IN ('9', '100', '7')",
                &docs
            )),
            ["9", "100"]
        );
        assert_eq!(
            ids(&run("SELECT * FROM Invoice WHERE Id > '9'", &docs)),
            ["10", "100"]
        );
        assert_eq!(
            ids(&run("SELECT * FROM Invoice WHERE Id < 11", &docs)),
            ["9", "10"]
        );
        assert_eq!(
            ids(&run(
                "SELECT * FROM Invoice WHERE CustomerRef.name = 'amy'",
                &docs
            )),
            ["9"]
        );
        assert_eq!(
            ids(&run(
                "SELECT * FROM Invoice ORDERBY CustomerRef DESC",
                &docs
            )),
            ["9", "10", "100"]
        );
        assert!(
            run("SELECT * FROM Invoice WHERE Missing = '2'", &docs)
                .items
                .is_empty()
        );
    }

    #[test]
    fn like_and_case() {
        let docs = customers();
        let all = "AND Active IN (true,false)";
        let like = |pattern: &str| {
            ids(&run(
                &format!(
                    "SELECT * FROM Customer WHERE DisplayName LIKE {} {all}",
                    quote(pattern)
                ),
                &docs,
            ))
        };
        assert_eq!(like("%r%"), ["1", "2", "3", "10"]);
        assert_eq!(like("a%"), ["10"]);
        assert_eq!(like("%SHOP"), ["2"]);
        assert_eq!(like("%bird%sanct%"), ["10"]);
        assert_eq!(like("cool cars"), ["3"]);
        assert_eq!(like("c%s%s"), Vec::<String>::new());
        assert_eq!(like("%"), ["1", "2", "3", "10"]);
        let outcome = run(
            "SELECT * FROM Customer WHERE DisplayName = 'AMY\\'S BIRD SANCTUARY'",
            &docs,
        );
        assert_eq!(ids(&outcome), ["10"]);
    }

    #[test]
    fn like_handles_overlaps() {
        assert!(like_matches("aa", "a%a"));
        assert!(!like_matches("a", "a%a"));
        assert!(like_matches("abcbc", "%bc"));
        assert!(like_matches("xabx", "%ab%"));
        assert!(!like_matches("ab", "abc%"));
    }

    #[test]
    fn paging() {
        let docs: Vec<Value> = (1..=25).map(|id| json!({"Id": id.to_string()})).collect();
        let outcome = run(
            "SELECT * FROM Invoice STARTPOSITION 11 MAXRESULTS 10",
            &docs,
        );
        assert_eq!(ids(&outcome).first().map(String::as_str), Some("11"));
        assert_eq!(ids(&outcome).last().map(String::as_str), Some("20"));
        assert_eq!(
            (
                outcome.start_position,
                outcome.max_results,
                outcome.total_count
            ),
            (11, 10, 25)
        );
        let outcome = run(
            "SELECT * FROM Invoice STARTPOSITION 21 MAXRESULTS 10",
            &docs,
        );
        assert_eq!(outcome.max_results, 5);
        let outcome = run("SELECT * FROM Invoice STARTPOSITION 40", &docs);
        assert!(outcome.items.is_empty());
        assert_eq!(outcome.total_count, 25);
    }

    #[test]
    fn multi_key_order() {
        let docs = vec![
            json!({"Id": "1", "Type": "Service", "Name": "b"}),
            json!({"Id": "2", "Type": "Inventory", "Name": "a"}),
            json!({"Id": "3", "Type": "Service", "Name": "A"}),
            json!({"Id": "4", "Name": "z"}),
        ];
        let outcome = run("SELECT * FROM Item ORDERBY Type DESC, Name ASC", &docs);
        assert_eq!(ids(&outcome), ["3", "1", "2", "4"]);
    }

    #[test]
    fn quote_escapes() {
        assert_eq!(quote("O'Brien"), "'O\\'Brien'");
        assert_eq!(quote("a\\"), "'a\\\\'");
        // A lone backslash before an ordinary character is kept as written.
        let query = parse("SELECT * FROM Item WHERE Name = 'a\\b'").unwrap();
        assert_eq!(
            query.conditions[0].predicate,
            Predicate::Compare(CompareOp::Eq, Literal::String("a\\b".into()))
        );
    }

    proptest! {
        #[test]
        fn quoted_values_round_trip(value in "\\PC*", other in "[a-z]{1,3}") {
            let docs = vec![
                json!({"Id": "1", "DisplayName": value.clone()}),
                json!({"Id": "2", "DisplayName": format!("{value}{other}")}),
                json!({"Id": "3", "DisplayName": format!("{other}{value}\\")}),
            ];
            let text = format!("SELECT * FROM Vendor WHERE DisplayName = {}", quote(&value));
            let query = parse(&text).unwrap();
            prop_assert_eq!(
                &query.conditions[0].predicate,
                &Predicate::Compare(CompareOp::Eq, Literal::String(value.clone()))
            );
            prop_assert_eq!(ids(&execute(&query, &docs)), vec!["1".to_owned()]);
        }

        #[test]
        fn quoted_values_with_quotes_and_backslashes_round_trip(value in "[a'\\\\ ]{0,12}") {
            let docs = vec![
                json!({"Id": "1", "Name": value.clone()}),
                json!({"Id": "2", "Name": format!("{value}'")}),
                json!({"Id": "3", "Name": format!("\\{value}")}),
            ];
            let text = format!("SELECT * FROM Item WHERE Name IN ({}, 'zz')", quote(&value));
            prop_assert_eq!(ids(&run(&text, &docs)), vec!["1".to_owned()]);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,80}") {
            let _ = parse(&text);
        }
    }
}
