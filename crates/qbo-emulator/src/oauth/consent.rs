//! The HTML the emulated user sees: Intuit's consent page (which app, what
//! it may do, which company) and the error page shown when a request cannot
//! be sent back to the app. Plain server-rendered forms, no JavaScript.

use std::fmt::Write as _;

use super::store::{ACCOUNTING_SCOPE, PAYMENT_SCOPE, RegisteredCompany};

/// The authorization request, carried through the consent form in hidden
/// fields so the POST can be checked exactly like the GET was.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsentRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) response_type: String,
    pub(crate) scope: String,
    pub(crate) state: String,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f8;color:#393a3d;margin:0}\
main{max-width:32rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.4rem;margin-top:0}\
fieldset{border:1px solid #d4d7dc;border-radius:6px;margin:1.2rem 0;padding:.8rem 1rem}\
label{display:block;padding:.35rem 0}.realm{color:#6b6c72;font-size:.85rem}\
.actions{display:flex;gap:.8rem;justify-content:flex-end}\
button{font-size:1rem;padding:.55rem 1.4rem;border-radius:4px;border:1px solid #8d9096;background:#fff}\
button.primary{background:#2ca01c;border-color:#2ca01c;color:#fff}\
.note{color:#6b6c72;font-size:.8rem;margin-top:1.5rem}";

/// The consent page for `app_name`. `needs_company` is false for a pure
/// OpenID request, which Intuit answers without a realmId.
pub(crate) fn consent_page(
    request: &ConsentRequest,
    app_name: &str,
    scopes: &[String],
    needs_company: bool,
    companies: &[RegisteredCompany],
) -> String {
    let app = escape(app_name);
    let mut html = page_start(&format!("Connect {app} to QuickBooks"));
    let _ = write!(
        html,
        "<h1>Connect {app} to QuickBooks</h1>\n<p><strong>{app}</strong> is asking to:</p>\n<ul>\n"
    );
    for scope in scopes {
        let _ = writeln!(html, "<li>{}</li>", escape(&describe_scope(scope)));
    }
    html.push_str("</ul>\n<form method=\"post\" action=\"/connect/oauth2\">\n");
    for (name, value) in [
        ("client_id", &request.client_id),
        ("redirect_uri", &request.redirect_uri),
        ("response_type", &request.response_type),
        ("scope", &request.scope),
        ("state", &request.state),
    ] {
        let _ = writeln!(
            html,
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        );
    }
    let can_connect = !needs_company || !companies.is_empty();
    if needs_company {
        html.push_str("<fieldset>\n<legend>Choose the company to connect</legend>\n");
        if companies.is_empty() {
            html.push_str("<p>There is no QuickBooks company to connect.</p>\n");
        }
        for (index, company) in companies.iter().enumerate() {
            let checked = if index == 0 { " checked" } else { "" };
            let _ = writeln!(
                html,
                "<label><input type=\"radio\" name=\"realm_id\" value=\"{realm}\"{checked} required> \
                 {name} <span class=\"realm\">(Company ID {realm})</span></label>",
                realm = escape(&company.realm_id),
                name = escape(&company.name),
            );
        }
        html.push_str("</fieldset>\n");
    }
    html.push_str("<div class=\"actions\">\n");
    html.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"cancel\" formnovalidate>Cancel</button>\n",
    );
    let disabled = if can_connect { "" } else { " disabled" };
    let _ = writeln!(
        html,
        "<button type=\"submit\" name=\"decision\" value=\"connect\" class=\"primary\"{disabled}>Connect</button>"
    );
    html.push_str("</div>\n</form>\n");
    let _ = writeln!(
        html,
        "<p class=\"note\">By connecting you allow {app} to use your information as described above. \
         This is the QuickBooks Online emulator: no Intuit account is involved.</p>"
    );
    html.push_str(PAGE_END);
    html
}

/// The page shown instead of a redirect when the request names no known
/// app or an unregistered redirect URI: Intuit never redirects then.
pub(crate) fn error_page(message: &str) -> String {
    let mut html = page_start("QuickBooks connection error");
    let _ = writeln!(
        html,
        "<h1>We can't connect this app</h1>\n<p>{}</p>",
        escape(message)
    );
    html.push_str(PAGE_END);
    html
}

const PAGE_END: &str = "</main>\n</body>\n</html>\n";

fn page_start(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    )
}

fn describe_scope(scope: &str) -> String {
    match scope {
        ACCOUNTING_SCOPE => {
            "Read and change your QuickBooks accounting data: accounts, customers, vendors, \
             items and transactions"
                .to_owned()
        }
        PAYMENT_SCOPE => "Process payments through QuickBooks Payments".to_owned(),
        "openid" => "Confirm who you are with your Intuit account".to_owned(),
        "profile" => "See your name".to_owned(),
        "email" => "See your email address".to_owned(),
        "phone" => "See your phone number".to_owned(),
        "address" => "See your address".to_owned(),
        other => format!("Use {other}"),
    }
}

/// Escapes text for an HTML element or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_names_and_hidden_fields() {
        let request = ConsentRequest {
            state: "\"><script>".to_owned(),
            ..ConsentRequest::default()
        };
        let companies = [RegisteredCompany {
            realm_id: "1".to_owned(),
            name: "Smith & <Sons>".to_owned(),
        }];
        let html = consent_page(&request, "A \"quoted\" app", &[], true, &companies);
        assert!(html.contains("Smith &amp; &lt;Sons&gt;"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("A &quot;quoted&quot; app"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn without_companies_connect_is_disabled() {
        let html = consent_page(&ConsentRequest::default(), "App", &[], true, &[]);
        assert!(html.contains("class=\"primary\" disabled>Connect"));
    }
}
