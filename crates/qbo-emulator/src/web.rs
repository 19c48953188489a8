//! A small web view of the emulated companies under `/_emulator/web/`, where
//! a person plays "the client in QuickBooks": lists the records of each type
//! and edits one, either as JSON or a few top-level fields at a time.
//!
//! Saving goes through the same [`Company`](crate::state::Company) update path
//! as the API, so the SyncToken moves on, computed fields are recomputed and a
//! webhook notification goes out, exactly as when a user edits a record in
//! QuickBooks while an app is syncing. Plain server-rendered HTML forms, no
//! scripts and no external assets.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::entities::EntityKind;
use crate::fault::escape_xml as escape;
use crate::state::Emulator;

/// Records per list page.
const PAGE_SIZE: usize = 50;

/// Top-level fields the server owns; the field form does not offer them.
const READ_ONLY_FIELDS: [&str; 5] = ["Id", "SyncToken", "MetaData", "domain", "sparse"];

/// The web view's routes.
pub fn routes(emulator: Emulator) -> Router {
    Router::new()
        .route("/_emulator/web", get(index))
        .route("/_emulator/web/", get(index))
        .route("/_emulator/web/{realm_id}", get(company_page))
        .route("/_emulator/web/{realm_id}/{entity}", get(list_page))
        .route(
            "/_emulator/web/{realm_id}/{entity}/{id}",
            get(record_page).post(save_record),
        )
        .route(
            "/_emulator/web/{realm_id}/{entity}/{id}/delete",
            post(delete_record),
        )
        .route(
            "/_emulator/web/{realm_id}/{entity}/{id}/void",
            post(void_record),
        )
        .with_state(emulator)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - QBO emulator</title>\n\
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left}}th{{background:#f0f3f0}}\
textarea{{width:100%;height:28em;font-family:monospace}}.error{{color:#a00;font-weight:bold}}\
.saved{{color:#070;font-weight:bold}}nav a{{margin-right:1em}}form.inline{{display:inline}}</style></head>\n\
<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    )
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            "Not found",
            &format!("<p class=\"error\">{}</p>", escape(message)),
        )),
    )
        .into_response()
}

fn company_name(emulator: &Emulator, realm_id: &str) -> Option<String> {
    emulator.with_company(realm_id, |company| {
        company
            .get(EntityKind::CompanyInfo, 1)
            .and_then(|info| info.get("CompanyName"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    })
}

async fn index(State(emulator): State<Emulator>) -> Response {
    let mut body = String::from("<table><tr><th>Realm id</th><th>Company</th></tr>\n");
    for realm_id in emulator.realm_ids() {
        let name = company_name(&emulator, &realm_id).unwrap_or_default();
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/_emulator/web/{id}\">{id}</a></td><td>{name}</td></tr>",
            id = escape(&realm_id),
            name = escape(&name)
        );
    }
    body.push_str("</table>");
    Html(page("Companies", &body)).into_response()
}

async fn company_page(State(emulator): State<Emulator>, Path(realm_id): Path<String>) -> Response {
    let counts = emulator.with_company(&realm_id, |company| {
        EntityKind::ALL
            .into_iter()
            .map(|kind| (kind, company.count(kind)))
            .collect::<Vec<_>>()
    });
    let Some(counts) = counts else {
        return not_found(&format!("No company with realm id {realm_id}."));
    };
    let name = company_name(&emulator, &realm_id).unwrap_or_default();
    let realm = escape(&realm_id);
    let mut body = format!(
        "<nav><a href=\"/_emulator/web\">All companies</a></nav>\n<p>Realm id {realm}</p>\n<table><tr><th>Type</th><th>Records</th></tr>\n"
    );
    for (kind, count) in counts {
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/_emulator/web/{realm}/{entity}\">{entity}</a></td><td>{count}</td></tr>",
            entity = kind.name()
        );
    }
    body.push_str("</table>");
    Html(page(&name, &body)).into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    page: Option<usize>,
}

/// The text that names a record in a list.
fn label(doc: &Map<String, Value>) -> String {
    for key in ["DisplayName", "FullyQualifiedName", "Name", "CompanyName"] {
        if let Some(text) = doc.get(key).and_then(Value::as_str) {
            return text.to_owned();
        }
    }
    let number = doc.get("DocNumber").and_then(Value::as_str).unwrap_or("");
    let party = ["CustomerRef", "VendorRef", "EntityRef"]
        .iter()
        .find_map(|key| doc.get(*key).and_then(|reference| reference.get("name")))
        .and_then(Value::as_str)
        .unwrap_or("");
    match (number.is_empty(), party.is_empty()) {
        (false, false) => format!("#{number} {party}"),
        (false, true) => format!("#{number}"),
        (true, _) => party.to_owned(),
    }
}

fn cell(doc: &Map<String, Value>, key: &str) -> String {
    match doc.get(key) {
        Some(Value::String(text)) => escape(text),
        Some(Value::Null) | None => String::new(),
        Some(other) => escape(&other.to_string()),
    }
}

async fn list_page(
    State(emulator): State<Emulator>,
    Path((realm_id, entity)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
) -> Response {
    let Some(kind) = EntityKind::parse(&entity) else {
        return not_found(&format!("Unknown entity type {entity}."));
    };
    let page_number = query.page.unwrap_or(1).max(1);
    let listing = emulator.with_company(&realm_id, |company| {
        let total = company.count(kind);
        let skip = (page_number - 1).saturating_mul(PAGE_SIZE);
        // Newest first: the last ids are the latest records.
        let documents: Vec<Map<String, Value>> = company
            .all_of(kind)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .skip(skip)
            .take(PAGE_SIZE)
            .filter_map(|doc| doc.as_object().cloned())
            .collect();
        (total, documents)
    });
    let Some((total, documents)) = listing else {
        return not_found(&format!("No company with realm id {realm_id}."));
    };
    let realm = escape(&realm_id);
    let name = kind.name();
    let mut body = format!(
        "<nav><a href=\"/_emulator/web\">All companies</a><a href=\"/_emulator/web/{realm}\">This company</a></nav>\n\
<p>{total} records, newest first.</p>\n<table><tr><th>Id</th><th>Name</th><th>Date</th><th>Total</th><th>Balance</th><th>Active</th><th>SyncToken</th><th>Last updated</th></tr>\n"
    );
    for doc in &documents {
        let id = cell(doc, "Id");
        let updated = doc
            .get("MetaData")
            .and_then(|meta| meta.get("LastUpdatedTime"))
            .and_then(Value::as_str)
            .map(escape)
            .unwrap_or_default();
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/_emulator/web/{realm}/{name}/{id}\">{id}</a></td><td>{label}</td><td>{date}</td><td>{total}</td><td>{balance}</td><td>{active}</td><td>{token}</td><td>{updated}</td></tr>",
            label = escape(&label(doc)),
            date = cell(doc, "TxnDate"),
            total = cell(doc, "TotalAmt"),
            balance = cell(doc, "Balance"),
            active = cell(doc, "Active"),
            token = cell(doc, "SyncToken"),
        );
    }
    body.push_str("</table>\n<p>");
    if page_number > 1 {
        let _ = write!(
            body,
            "<a href=\"/_emulator/web/{realm}/{name}?page={}\">Previous page</a> ",
            page_number - 1
        );
    }
    if page_number.saturating_mul(PAGE_SIZE) < total {
        let _ = write!(
            body,
            "<a href=\"/_emulator/web/{realm}/{name}?page={}\">Next page</a>",
            page_number + 1
        );
    }
    body.push_str("</p>");
    Html(page(&format!("{name} records"), &body)).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct RecordQuery {
    #[serde(default)]
    saved: Option<String>,
}

fn record_body(
    realm_id: &str,
    kind: EntityKind,
    doc: &Map<String, Value>,
    json_text: &str,
    message: Option<(&str, &str)>,
) -> String {
    let realm = escape(realm_id);
    let name = kind.name();
    let id = cell(doc, "Id");
    let token = cell(doc, "SyncToken");
    let mut body = format!(
        "<nav><a href=\"/_emulator/web\">All companies</a><a href=\"/_emulator/web/{realm}\">This company</a><a href=\"/_emulator/web/{realm}/{name}\">All {name} records</a></nav>\n"
    );
    if let Some((class, text)) = message {
        let _ = writeln!(body, "<p class=\"{class}\">{}</p>", escape(text));
    }
    let _ = writeln!(
        body,
        "<p>SyncToken <strong id=\"sync-token\">{token}</strong></p>\n<h2>Fields</h2>\n\
<form method=\"post\" action=\"/_emulator/web/{realm}/{name}/{id}\">\n<input type=\"hidden\" name=\"mode\" value=\"fields\">\n\
<input type=\"hidden\" name=\"SyncToken\" value=\"{token}\">\n<table>"
    );
    for (key, value) in doc {
        if READ_ONLY_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let field = escape(key);
        let input = match value {
            Value::Bool(flag) => {
                let (yes, no) = if *flag {
                    (" selected", "")
                } else {
                    ("", " selected")
                };
                format!(
                    "<select name=\"field.{field}\"><option value=\"true\"{yes}>true</option><option value=\"false\"{no}>false</option></select>"
                )
            }
            Value::String(text) => format!(
                "<input name=\"field.{field}\" value=\"{}\" size=\"50\">",
                escape(text)
            ),
            Value::Number(number) => format!(
                "<input name=\"number.{field}\" value=\"{}\" size=\"20\">",
                escape(&number.to_string())
            ),
            _ => continue,
        };
        let _ = writeln!(body, "<tr><th>{field}</th><td>{input}</td></tr>");
    }
    let _ = writeln!(
        body,
        "</table>\n<p><button type=\"submit\">Save fields</button></p>\n</form>\n\
<h2>JSON</h2>\n<form method=\"post\" action=\"/_emulator/web/{realm}/{name}/{id}\">\n<input type=\"hidden\" name=\"mode\" value=\"json\">\n\
<textarea name=\"json\">{}</textarea>\n<p><button type=\"submit\">Save JSON (full update)</button></p>\n</form>",
        escape(json_text)
    );
    if kind.is_transaction() {
        let _ = writeln!(
            body,
            "<form class=\"inline\" method=\"post\" action=\"/_emulator/web/{realm}/{name}/{id}/delete\"><input type=\"hidden\" name=\"SyncToken\" value=\"{token}\"><button type=\"submit\">Delete</button></form>"
        );
    }
    if kind.is_voidable() {
        let _ = writeln!(
            body,
            "<form class=\"inline\" method=\"post\" action=\"/_emulator/web/{realm}/{name}/{id}/void\"><input type=\"hidden\" name=\"SyncToken\" value=\"{token}\"><button type=\"submit\">Void</button></form>"
        );
    }
    body
}

fn read_record(
    emulator: &Emulator,
    realm_id: &str,
    entity: &str,
    id: &str,
) -> Result<(EntityKind, Map<String, Value>), String> {
    let Some(kind) = EntityKind::parse(entity) else {
        return Err(format!("Unknown entity type {entity}."));
    };
    let doc = emulator
        .with_company(realm_id, |company| company.read_kind(kind, id).ok())
        .ok_or_else(|| format!("No company with realm id {realm_id}."))?
        .and_then(|doc| doc.as_object().cloned())
        .ok_or_else(|| format!("No {} with id {id}.", kind.name()))?;
    Ok((kind, doc))
}

async fn record_page(
    State(emulator): State<Emulator>,
    Path((realm_id, entity, id)): Path<(String, String, String)>,
    Query(query): Query<RecordQuery>,
) -> Response {
    let (kind, doc) = match read_record(&emulator, &realm_id, &entity, &id) {
        Ok(found) => found,
        Err(message) => return not_found(&message),
    };
    let json_text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let message = query.saved.as_ref().map(|_| ("saved", "Saved."));
    let title = format!("{} {} {}", kind.name(), id, label(&doc));
    Html(page(
        &title,
        &record_body(&realm_id, kind, &doc, &json_text, message),
    ))
    .into_response()
}

/// Builds the body of a sparse update from the field form: only fields whose
/// value changed are sent.
fn sparse_body(
    doc: &Map<String, Value>,
    form: &HashMap<String, String>,
) -> Result<Map<String, Value>, String> {
    let mut body = Map::new();
    for (name, text) in form {
        let (key, value) = if let Some(key) = name.strip_prefix("field.") {
            let value = match doc.get(key) {
                Some(Value::Bool(_)) => Value::Bool(text == "true"),
                _ => Value::String(text.clone()),
            };
            (key, value)
        } else if let Some(key) = name.strip_prefix("number.") {
            let number: serde_json::Number = text
                .trim()
                .parse()
                .map_err(|_| format!("{key}: {text:?} is not a number"))?;
            (key, Value::Number(number))
        } else {
            continue;
        };
        if READ_ONLY_FIELDS.contains(&key) || doc.get(key) == Some(&value) {
            continue;
        }
        body.insert(key.to_owned(), value);
    }
    Ok(body)
}

async fn save_record(
    State(emulator): State<Emulator>,
    Path((realm_id, entity, id)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (kind, doc) = match read_record(&emulator, &realm_id, &entity, &id) {
        Ok(found) => found,
        Err(message) => return not_found(&message),
    };
    let mode = form.get("mode").map(String::as_str).unwrap_or("fields");
    let json_text = form.get("json").cloned().unwrap_or_default();
    let prepared: Result<(Value, bool), String> = match mode {
        "json" => serde_json::from_str::<Value>(&json_text)
            .map_err(|error| format!("The JSON does not parse: {error}"))
            .and_then(|value| match value {
                Value::Object(mut object) => {
                    let sparse = object.get("sparse").and_then(Value::as_bool) == Some(true);
                    object.insert("Id".to_owned(), Value::String(id.clone()));
                    Ok((Value::Object(object), sparse))
                }
                _ => Err("The JSON must be an object.".to_owned()),
            }),
        _ => sparse_body(&doc, &form).map(|mut body| {
            body.insert("Id".to_owned(), Value::String(id.clone()));
            let token = form
                .get("SyncToken")
                .cloned()
                .unwrap_or_else(|| cell(&doc, "SyncToken"));
            body.insert("SyncToken".to_owned(), Value::String(token));
            body.insert("sparse".to_owned(), Value::Bool(true));
            (Value::Object(body), true)
        }),
    };
    let shown_json = if mode == "json" {
        json_text
    } else {
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    };
    let (body, sparse) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => return edit_failed(&realm_id, kind, &doc, &shown_json, &message),
    };
    let now = emulator.clock().now();
    let outcome = emulator
        .with_company(&realm_id, |company| {
            company.update_kind(kind, body, sparse, now)
        })
        .unwrap_or_else(|| Err(crate::fault::Fault::object_not_found(kind.name(), &id)));
    match outcome {
        Ok(_) => {
            emulator.operations().persistence.mark_dirty(&realm_id);
            saved_redirect(&realm_id, kind, &id)
        }
        Err(fault) => edit_failed(&realm_id, kind, &doc, &shown_json, &fault.to_string()),
    }
}

fn saved_redirect(realm_id: &str, kind: EntityKind, id: &str) -> Response {
    let location = format!(
        "/_emulator/web/{}/{}/{}?saved=1",
        url_segment(realm_id),
        kind.name(),
        url_segment(id)
    );
    Redirect::to(&location).into_response()
}

fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn edit_failed(
    realm_id: &str,
    kind: EntityKind,
    doc: &Map<String, Value>,
    json_text: &str,
    message: &str,
) -> Response {
    let title = format!("{} {}", kind.name(), cell(doc, "Id"));
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page(
            &title,
            &record_body(realm_id, kind, doc, json_text, Some(("error", message))),
        ),
    )
        .into_response()
}

async fn delete_record(
    State(emulator): State<Emulator>,
    Path((realm_id, entity, id)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    remove_or_void(emulator, realm_id, entity, id, form, false)
}

async fn void_record(
    State(emulator): State<Emulator>,
    Path((realm_id, entity, id)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    remove_or_void(emulator, realm_id, entity, id, form, true)
}

fn remove_or_void(
    emulator: Emulator,
    realm_id: String,
    entity: String,
    id: String,
    form: HashMap<String, String>,
    void: bool,
) -> Response {
    let (kind, doc) = match read_record(&emulator, &realm_id, &entity, &id) {
        Ok(found) => found,
        Err(message) => return not_found(&message),
    };
    let token = form
        .get("SyncToken")
        .cloned()
        .unwrap_or_else(|| cell(&doc, "SyncToken"));
    let body = serde_json::json!({ "Id": id, "SyncToken": token });
    let now = emulator.clock().now();
    let outcome = emulator
        .with_company(&realm_id, |company| {
            if void {
                company.void_kind(kind, body, now)
            } else {
                company.delete_kind(kind, body, now)
            }
        })
        .unwrap_or_else(|| Err(crate::fault::Fault::object_not_found(kind.name(), &id)));
    let json_text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    match outcome {
        Ok(_) => {
            emulator.operations().persistence.mark_dirty(&realm_id);
            if void {
                saved_redirect(&realm_id, kind, &id)
            } else {
                Redirect::to(&format!(
                    "/_emulator/web/{}/{}",
                    url_segment(&realm_id),
                    kind.name()
                ))
                .into_response()
            }
        }
        Err(fault) => edit_failed(&realm_id, kind, &doc, &json_text, &fault.to_string()),
    }
}
