//! The shared HTTP client of shiftboss: one process-wide reqwest client
//! (rustls with the `ring` provider) and a blocking helper for the
//! synchronous parts of shiftboss (the merge queue) to call from a plain
//! thread.
//!
//! Errors name the URL (without user info or query, where credentials hide)
//! and what went wrong; they never contain header values, so an API key
//! handed in a header cannot reach a log or the screen through them.

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::OnceLock;
use std::time::Duration;

/// Why a request got no answer. Messages are one line, name the URL (its
/// scheme, host, port and path only) and never contain a header value.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the HTTP client could not start: {0}")]
    Client(String),
    #[error(
        "POST {url}: called from inside an async runtime; the blocking HTTP helper needs a plain thread"
    )]
    InsideRuntime { url: String },
    #[error("POST {url}: not a valid http(s) URL ({reason})")]
    InvalidUrl { url: String, reason: String },
    #[error("POST {url}: header `{name}` has a name or value HTTP does not allow")]
    InvalidHeader { url: String, name: String },
    #[error("POST {url}: no answer within {}", humantime::format_duration(*.after))]
    Timeout { url: String, after: Duration },
    #[error("POST {url}: could not connect: {reason}")]
    Connect { url: String, reason: String },
    #[error("POST {url}: {reason}")]
    Request { url: String, reason: String },
}

/// The process-wide client; the first call builds it (and installs `ring`
/// as rustls's default crypto provider unless one already is).
pub fn client() -> Result<&'static Client, HttpError> {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // Err means a provider is already installed; that one serves.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Client::builder()
                .user_agent(concat!("shiftboss/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| chain(&e))
        })
        .as_ref()
        .map_err(|e| HttpError::Client(e.clone()))
}

/// POST `body` as JSON to `url` with `headers` and wait at most `timeout`
/// for the whole answer. Returns the status code and the body as text,
/// whatever the status (the caller decides what a non-2xx status means).
///
/// Blocks the calling thread; call it from a plain thread, not from inside
/// an async runtime (that is an error, not a panic).
pub fn post_json(
    url: &str,
    headers: &[(&str, String)],
    body: &serde_json::Value,
    timeout: Duration,
) -> Result<(u16, String), HttpError> {
    let shown = redact_url(url);
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(HttpError::InsideRuntime { url: shown });
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| HttpError::InvalidUrl {
        url: shown.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HttpError::InvalidUrl {
            url: shown,
            reason: format!("scheme `{}`", parsed.scheme()),
        });
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let invalid = || HttpError::InvalidHeader {
            url: shown.clone(),
            name: name.to_string(),
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        // Every header handed in may be a credential: keep it out of Debug.
        value.set_sensitive(true);
        map.insert(name, value);
    }
    let fail = |e: reqwest::Error| {
        if e.is_timeout() {
            HttpError::Timeout {
                url: shown.clone(),
                after: timeout,
            }
        } else if e.is_connect() {
            HttpError::Connect {
                url: shown.clone(),
                reason: chain(&e),
            }
        } else {
            HttpError::Request {
                url: shown.clone(),
                reason: chain(&e),
            }
        }
    };
    let response = client()?
        .post(parsed)
        .headers(map)
        .json(body)
        .timeout(timeout)
        .send()
        .map_err(fail)?;
    let status = response.status().as_u16();
    let text = response.text().map_err(fail)?;
    Ok((status, text))
}

/// An error and its sources on one line, without the URL reqwest adds
/// (the caller names a redacted one).
fn chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = match err.downcast_ref::<reqwest::Error>() {
            Some(re) => without_url(re),
            None => err.to_string(),
        };
        // Wrappers often repeat their source's text; say each thing once.
        if !text.is_empty() && !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        next = err.source();
    }
    out.replace(['\n', '\r'], " ")
}

fn without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(url) => text
            .replace(&format!(" for url ({url})"), "")
            .replace(url.as_str(), &redact_url(url.as_str())),
        None => text,
    }
}

/// `url` without user info, query or fragment: what an error may show.
pub fn redact_url(url: &str) -> String {
    let cut = url.find(['?', '#']).map_or(url, |i| &url[..i]);
    match cut.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => cut.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn redacted_urls_keep_no_credentials() {
        assert_eq!(
            redact_url("https://user:sk-secret@api.example.com:8443/v1/messages?key=sk-2#x"),
            "https://api.example.com:8443/v1/messages"
        );
        assert_eq!(redact_url("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1");
        assert_eq!(redact_url("not a url?k=v"), "not a url");
    }

    #[test]
    fn a_header_value_never_reaches_an_error() {
        let err = post_json(
            "http://127.0.0.1:9/v1",
            &[("x-api-key", "sk-secret\nvalue".to_string())],
            &serde_json::json!({}),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(matches!(err, HttpError::InvalidHeader { .. }), "{err}");
        assert!(!format!("{err} {err:?}").contains("sk-secret"), "{err}");
    }

    #[test]
    fn bad_urls_are_errors() {
        let body = serde_json::json!({});
        let t = Duration::from_secs(5);
        let err = post_json("no scheme", &[], &body, t).unwrap_err();
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err}");
        let err = post_json("ftp://user:pw@host/x", &[], &body, t).unwrap_err();
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn inside_an_async_runtime_is_an_error_not_a_panic() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt.block_on(async {
            post_json(
                "http://127.0.0.1:9/v1",
                &[],
                &serde_json::json!({}),
                Duration::from_secs(5),
            )
        });
        assert!(matches!(err, Err(HttpError::InsideRuntime { .. })));
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout() {
        // The kernel accepts the connection; nobody ever reads or answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let err = post_json(
            &format!("http://{addr}/v1"),
            &[("x-api-key", "sk-quiet".to_string())],
            &serde_json::json!({}),
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("no answer within 200ms"), "{err}");
        assert!(!format!("{err:?}").contains("sk-quiet"));
        drop(listener);
    }

    #[test]
    fn posts_json_with_headers_and_returns_status_and_body() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            // Read until the whole JSON body (it ends the request) is in.
            while !seen.ends_with(b"}") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "client closed early");
                seen.extend_from_slice(&buf[..n]);
            }
            let reply = "teapot says no";
            write!(
                conn,
                "HTTP/1.1 418 I'm a teapot\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .unwrap();
            String::from_utf8(seen).unwrap()
        });
        let (status, body) = post_json(
            &format!("http://{addr}/v1/x"),
            &[("x-api-key", "k-123".to_string())],
            &serde_json::json!({"a": 1}),
            Duration::from_secs(30),
        )
        .unwrap();
        let request = server.join().unwrap();
        assert_eq!((status, body.as_str()), (418, "teapot says no"));
        assert!(request.starts_with("POST /v1/x HTTP/1.1\r\n"), "{request}");
        let lower = request.to_ascii_lowercase();
        assert!(lower.contains("\r\nx-api-key: k-123\r\n"), "{request}");
        assert!(lower.contains("\r\ncontent-type: application/json\r\n"));
        assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
    }
}
