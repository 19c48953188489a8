//! Building QBO query statements safely, and reading a query page by page.
//!
//! QBO's query language (API.md §4.2) has no parameters: values are written
//! into the statement. String values are single-quoted with `\'` for a quote
//! and `\\` for a backslash (a bare trailing backslash breaks QBO's parser),
//! so a name like `O'Brien` cannot end the literal early. Entity and field
//! names cannot be escaped at all, so they are checked instead.

use std::fmt::Write as _;

use futures::Stream;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::QboError;
use crate::transport::{QboClient, TokenSource};

/// The most rows QBO returns per query (API.md §4.2).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A comparison in a `WHERE` condition. QBO joins conditions with `AND` only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `=`
    Equal,
    /// `<`
    Less,
    /// `>`
    Greater,
    /// `<=`
    LessOrEqual,
    /// `>=`
    GreaterOrEqual,
    /// `LIKE`, with `%` as the only wildcard.
    Like,
}

impl Comparison {
    fn operator(self) -> &'static str {
        match self {
            Comparison::Equal => "=",
            Comparison::Less => "<",
            Comparison::Greater => ">",
            Comparison::LessOrEqual => "<=",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Like => "LIKE",
        }
    }
}

/// A value in a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryValue {
    /// A string (also dates, `'2025-01-31'`, and date-times); quoted and escaped.
    Text(String),
    /// `true` or `false`, written bare.
    Bool(bool),
    /// An integer, written bare.
    Integer(i64),
}

impl From<&str> for QueryValue {
    fn from(text: &str) -> Self {
        QueryValue::Text(text.to_owned())
    }
}

impl From<String> for QueryValue {
    fn from(text: String) -> Self {
        QueryValue::Text(text)
    }
}

impl From<bool> for QueryValue {
    fn from(value: bool) -> Self {
        QueryValue::Bool(value)
    }
}

impl From<i64> for QueryValue {
    fn from(value: i64) -> Self {
        QueryValue::Integer(value)
    }
}

impl QueryValue {
    fn write_to(&self, statement: &mut String) {
        match self {
            QueryValue::Text(text) => statement.push_str(&quote(text)),
            QueryValue::Bool(value) => statement.push_str(if *value { "true" } else { "false" }),
            QueryValue::Integer(value) => {
                let _ = write!(statement, "{value}");
            }
        }
    }
}

/// `text` as a QBO string literal: single quotes around it, `'` and `\`
/// escaped with a backslash.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for character in text.chars() {
        if matches!(character, '\'' | '\\') {
            quoted.push('\\');
        }
        quoted.push(character);
    }
    quoted.push('\'');
    quoted
}

/// A name that cannot go into a statement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} {name:?} is not a QBO name (letters, digits and dots only)")]
pub struct InvalidQuery {
    what: &'static str,
    name: String,
}

impl From<InvalidQuery> for QboError {
    /// A statement that cannot be built is what QBO would reject as 4000
    /// "Error parsing query", so it is reported the same way, before sending.
    fn from(invalid: InvalidQuery) -> QboError {
        QboError::Validation {
            code: "4000".to_owned(),
            element: Some(invalid.name.clone()),
            message: "Error parsing query".to_owned(),
            detail: invalid.to_string(),
            intuit_tid: None,
        }
    }
}

/// A `SELECT` statement under construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    entity: String,
    count: bool,
    conditions: Vec<String>,
    order_by: Vec<String>,
    /// The first bad name given, reported by [`Query::statement`].
    invalid: Option<InvalidQuery>,
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric()))
}

impl Query {
    /// `SELECT * FROM {entity}`.
    pub fn select(entity: &str) -> Query {
        let mut query = Query {
            entity: entity.to_owned(),
            count: false,
            conditions: Vec::new(),
            order_by: Vec::new(),
            invalid: None,
        };
        if !is_name(entity) || entity.contains('.') {
            query.invalid = Some(InvalidQuery {
                what: "entity",
                name: entity.to_owned(),
            });
        }
        query
    }

    /// `SELECT COUNT(*) FROM {entity}`.
    pub fn count(entity: &str) -> Query {
        Query {
            count: true,
            ..Query::select(entity)
        }
    }

    /// The entity queried.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    fn check_field(&mut self, field: &str) -> bool {
        if is_name(field) {
            true
        } else {
            self.invalid.get_or_insert(InvalidQuery {
                what: "field",
                name: field.to_owned(),
            });
            false
        }
    }

    /// Adds `AND {field} {comparison} {value}`.
    pub fn filter(
        mut self,
        field: &str,
        comparison: Comparison,
        value: impl Into<QueryValue>,
    ) -> Query {
        if self.check_field(field) {
            let mut condition = format!("{field} {} ", comparison.operator());
            value.into().write_to(&mut condition);
            self.conditions.push(condition);
        }
        self
    }

    /// Adds `AND {field} = {value}`.
    pub fn equal(self, field: &str, value: impl Into<QueryValue>) -> Query {
        self.filter(field, Comparison::Equal, value)
    }

    /// Adds `AND {field} IN ({values})`, e.g. `Active IN (true, false)` to
    /// include inactive names (API.md §4.2).
    pub fn one_of<V: Into<QueryValue>>(
        mut self,
        field: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Query {
        if self.check_field(field) {
            let mut condition = format!("{field} IN (");
            for (index, value) in values.into_iter().enumerate() {
                if index > 0 {
                    condition.push_str(", ");
                }
                value.into().write_to(&mut condition);
            }
            condition.push(')');
            self.conditions.push(condition);
        }
        self
    }

    /// Adds an `ORDERBY` key.
    pub fn order_by(mut self, field: &str, descending: bool) -> Query {
        if self.check_field(field) {
            let direction = if descending { "DESC" } else { "ASC" };
            self.order_by.push(format!("{field} {direction}"));
        }
        self
    }

    /// The statement, with `STARTPOSITION` (1-based) and `MAXRESULTS` when
    /// given.
    pub fn statement(
        &self,
        start_position: Option<u32>,
        max_results: Option<u32>,
    ) -> Result<String, InvalidQuery> {
        if let Some(invalid) = &self.invalid {
            return Err(invalid.clone());
        }
        let projection = if self.count { "COUNT(*)" } else { "*" };
        let mut statement = format!("SELECT {projection} FROM {}", self.entity);
        for (index, condition) in self.conditions.iter().enumerate() {
            statement.push_str(if index == 0 { " WHERE " } else { " AND " });
            statement.push_str(condition);
        }
        if !self.order_by.is_empty() {
            statement.push_str(" ORDERBY ");
            statement.push_str(&self.order_by.join(", "));
        }
        if let Some(start) = start_position {
            let _ = write!(statement, " STARTPOSITION {start}");
        }
        if let Some(max) = max_results {
            let _ = write!(statement, " MAXRESULTS {max}");
        }
        Ok(statement)
    }
}

/// One page of query results. Its rows are kept as the JSON text QuickBooks
/// sent until they are asked for: a page read ahead of its use holds about
/// the size of that text, where parsed values take several times as much.
#[derive(Clone, Debug)]
pub struct Page {
    /// The 1-based position of the first row.
    pub start_position: u32,
    rows: Vec<Box<RawValue>>,
}

impl Page {
    /// How many rows the page holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows as the JSON text QuickBooks sent, for a reader that parses
    /// only what it needs of them.
    pub fn raw_rows(self) -> Vec<Box<RawValue>> {
        self.rows
    }

    /// The rows, full entity objects.
    pub fn rows(self) -> Result<Vec<Value>, QboError> {
        self.rows
            .into_iter()
            .map(|row| {
                serde_json::from_str(row.get()).map_err(|error| {
                    QboError::protocol(
                        Some(200),
                        format!("a row of the answer could not be read ({error})"),
                        None,
                    )
                })
            })
            .collect()
    }

    /// The `Id` of the last row, read without parsing the rest of it.
    fn last_id(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct IdOnly {
            #[serde(rename = "Id")]
            id: Option<Value>,
        }
        let row: IdOnly = serde_json::from_str(self.rows.last()?.get()).ok()?;
        match row.id? {
            Value::String(id) => Some(id),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        }
    }
}

/// Where a page stream stands.
#[derive(Debug)]
enum Cursor {
    At(u32),
    Done,
}

impl<T: TokenSource> QboClient<T> {
    /// Runs a `COUNT(*)` query and returns `totalCount`.
    pub async fn count(&self, query: &Query) -> Result<u64, QboError> {
        let statement = Query {
            count: true,
            ..query.clone()
        }
        .statement(None, None)?;
        let answer = self.query(&statement).await?;
        answer
            .get("totalCount")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                QboError::protocol(Some(200), "the count answer has no totalCount", None)
            })
    }

    /// Reads every row of `query`, `page_size` rows at a time (1 to 1000),
    /// as a stream of pages. The stream ends after the first page shorter
    /// than `page_size`; an error ends it after being yielded. Rows that
    /// change while the stream runs may be missed or seen twice, as with any
    /// offset paging; use an `ORDERBY` and CDC for consistency.
    pub fn pages(
        &self,
        query: Query,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page, QboError>> + Send + 'static
    where
        T: 'static,
    {
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let client = self.clone();
        futures::stream::unfold(Cursor::At(1), move |cursor| {
            let client = client.clone();
            let query = query.clone();
            async move {
                let Cursor::At(start_position) = cursor else {
                    return None;
                };
                let page = client.page(&query, start_position, page_size).await;
                match page {
                    Ok(page) if page.rows.is_empty() => None,
                    Ok(page) => {
                        let returned = u32::try_from(page.rows.len()).unwrap_or(u32::MAX);
                        let next = if returned < page_size {
                            Cursor::Done
                        } else {
                            start_position
                                .checked_add(returned)
                                .map_or(Cursor::Done, Cursor::At)
                        };
                        Some((Ok(page), next))
                    }
                    Err(error) => Some((Err(error), Cursor::Done)),
                }
            }
        })
    }

    async fn page(
        &self,
        query: &Query,
        start_position: u32,
        page_size: u32,
    ) -> Result<Page, QboError> {
        let statement = query.statement(Some(start_position), Some(page_size))?;
        let rows = self.query_raw_rows(&statement, query.entity()).await?;
        Ok(Page {
            start_position,
            rows,
        })
    }

    /// Reads every row of `query` in ascending `Id` order, `page_size` rows
    /// at a time (1 to 1000): each page asks for the rows after the last
    /// `Id` of the page before (`… AND Id > 'last' ORDERBY Id ASC`). Unlike
    /// offset paging, a row deleted or added while the stream runs cannot
    /// shift another across a page boundary, so every row that exists for
    /// the whole run is read exactly once. `query` must have no `ORDERBY`
    /// of its own. The stream ends after the first page shorter than
    /// `page_size` (no `COUNT` is needed to know when a type is done); an
    /// error ends it after being yielded.
    pub fn pages_by_id(
        &self,
        query: Query,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page, QboError>> + Send + 'static
    where
        T: 'static,
    {
        /// The last Id read and the position of the next row, or the end.
        enum Keyset {
            After(Option<String>, u32),
            Done,
        }
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let client = self.clone();
        futures::stream::unfold(Keyset::After(None, 1), move |cursor| {
            let client = client.clone();
            let query = query.clone();
            async move {
                let Keyset::After(last, start_position) = cursor else {
                    return None;
                };
                let keyed = match last {
                    Some(last) => query.filter("Id", Comparison::Greater, last),
                    None => query,
                }
                .order_by("Id", false);
                // Each statement reads from its key, so from position 1.
                match client.page(&keyed, 1, page_size).await {
                    Ok(mut page) => {
                        page.start_position = start_position;
                        let returned = u32::try_from(page.rows.len()).unwrap_or(u32::MAX);
                        let last_id = page.last_id();
                        let next = match last_id {
                            Some(last_id) if returned >= page_size => Keyset::After(
                                Some(last_id),
                                start_position.saturating_add(returned),
                            ),
                            // A short page is the last; a full one without
                            // an Id cannot be continued from.
                            _ => Keyset::Done,
                        };
                        if page.rows.is_empty() {
                            None
                        } else {
                            Some((Ok(page), next))
                        }
                    }
                    Err(error) => Some((Err(error), Keyset::Done)),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote("O'Brien"), r"'O\'Brien'");
        assert_eq!(quote(r"ends with \"), r"'ends with \\'");
        assert_eq!(quote(r"\'"), r"'\\\''");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn statements() {
        let query = Query::select("Customer")
            .equal("DisplayName", "O'Brien & Sons")
            .one_of("Active", [true, false])
            .filter(
                "MetaData.LastUpdatedTime",
                Comparison::Greater,
                "2025-01-01T00:00:00-08:00",
            )
            .order_by("Id", false);
        assert_eq!(
            query.statement(Some(1), Some(100)).as_deref(),
            Ok(
                r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien & Sons' AND Active IN (true, false) AND MetaData.LastUpdatedTime > '2025-01-01T00:00:00-08:00' ORDERBY Id ASC STARTPOSITION 1 MAXRESULTS 100"
            )
        );
        assert_eq!(
            Query::count("Invoice")
                .filter("TotalAmt", Comparison::GreaterOrEqual, 10)
                .statement(None, None)
                .as_deref(),
            Ok("SELECT COUNT(*) FROM Invoice WHERE TotalAmt >= 10")
        );
    }

    #[test]
    fn a_refused_name_is_a_query_validation_error() {
        let error = QboError::from(
            Query::select("Customer")
                .equal("Name'", "x")
                .statement(None, None)
                .err()
                .unwrap_or_else(|| InvalidQuery {
                    what: "test",
                    name: String::new(),
                }),
        );
        assert!(
            matches!(&error, QboError::Validation { code, element: Some(element), .. } if code == "4000" && element == "Name'"),
            "{error:?}"
        );
    }

    #[test]
    fn names_that_would_inject_are_refused() {
        assert!(
            Query::select("Customer; DROP")
                .statement(None, None)
                .is_err()
        );
        assert!(Query::select("").statement(None, None).is_err());
        assert!(
            Query::select("Customer")
                .equal("DisplayName = 'x' OR Id", "1")
                .statement(None, None)
                .is_err()
        );
        assert!(
            Query::select("Customer")
                .order_by("Id DESC, Name", true)
                .statement(None, None)
                .is_err()
        );
    }
}
