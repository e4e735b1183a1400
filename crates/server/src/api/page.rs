//! `GET /`: the registration page, and `POST /register`, where its form posts. Plain HTML, no
//! JavaScript, a strict Content-Security-Policy (nothing but this page's own style, allowed by
//! its hash; forms post only here; no framing).

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::register::accept;
use super::{AppState, read_body};

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}\
pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem;border-radius:4px;font-size:14px}\
label{display:block;margin:.8rem 0}input[type=email]{width:100%;padding:.5rem;font-size:16px;box-sizing:border-box}\
button{padding:.5rem 1.5rem;font-size:16px}.error{color:#a00}";

/// The Content-Security-Policy of every page: only the inline style, by its hash.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
});

/// The form's fields.
#[derive(Debug, Deserialize)]
pub(super) struct FormFields {
    #[serde(default)]
    email: String,
    /// `on` when the box is ticked (what a browser sends for a checkbox without a value).
    #[serde(default)]
    accept: Option<String>,
}

/// `GET /`.
pub(super) async fn form(State(state): State<Arc<AppState>>) -> Response {
    html(StatusCode::OK, &form_page(&state.config.terms, None))
}

/// `POST /register` from the form.
pub(super) async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match read_body(&state, &headers, body).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<FormFields>(&bytes).ok(),
        Err(e) => return e.into_response(),
    };
    let Some(fields) = fields else {
        return html(StatusCode::BAD_REQUEST, &form_page(&state.config.terms, Some("The form could not be read.")));
    };
    match accept(&state, peer, &fields.email, fields.accept.as_deref() == Some("on")).await {
        Ok(()) => html(StatusCode::ACCEPTED, &done_page()),
        Err(e) => html(e.status, &form_page(&state.config.terms, Some(&e.detail))),
    }
}

fn html(status: StatusCode, body: &str) -> Response {
    let mut response = (status, body.to_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn shell(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head><body>\n{main}\n</body></html>\n"
    )
}

fn form_page(terms: &str, error: Option<&str>) -> String {
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))).unwrap_or_default();
    shell(
        "microscanner: get a token",
        &format!(
            "<h1>Get a microscanner token</h1>\n\
<p>A token lets <code>microscanner</code> scan images against this server's vulnerability database, \
a limited number of scans a day. It is sent to the address you give.</p>\n{error}\n\
<form method=\"post\" action=\"/register\">\n\
<label>E-mail address <input type=\"email\" name=\"email\" id=\"email\" required autocomplete=\"email\"></label>\n\
<h2>Terms</h2>\n<pre id=\"terms\">{}</pre>\n\
<label><input type=\"checkbox\" name=\"accept\" id=\"accept\" required> I accept the terms</label>\n\
<button type=\"submit\" id=\"submit\">Send me a token</button>\n</form>",
            escape(terms)
        ),
    )
}

fn done_page() -> String {
    shell(
        "microscanner: check your mail",
        "<h1>Check your mail</h1>\n<p id=\"done\">If the address can receive mail, a token is on its way. \
It says how to use it. Registering again revokes the old token and sends a new one.</p>",
    )
}

/// HTML-escapes text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_escaped_and_csp_hashes_the_style() {
        let page = form_page("<script>alert(1)</script>", Some("bad & worse"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("bad &amp; worse"));
        assert!(CSP.contains("default-src 'none'"));
        assert!(CSP.contains("style-src 'sha256-"));
    }
}
