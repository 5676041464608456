//! Redaction of secrets in agents' text and gate output.
//!
//! One [`Redactor`] is computed once from shiftboss's own environment (every
//! variable whose name marks a secret, whatever is passed on to agents) and
//! shared; on top of it, any value with a known token prefix is replaced
//! wherever it appears. Never by entropy: commit ids and hashes stay.

use std::borrow::Cow;
use std::sync::OnceLock;

/// What replaces a secret.
pub const MASK: &str = "[redacted]";

/// Shortest value of a secret-named variable that is redacted (shorter ones
/// would replace ordinary words).
pub const MIN_SECRET_LEN: usize = 6;

/// Known token prefixes and the fewest token characters that must follow.
const TOKEN_PREFIXES: [(&str, usize); 19] = [
    ("sk-ant-", 12),
    ("sk-proj-", 12),
    ("sk-", 16),
    ("ghp_", 16),
    ("gho_", 16),
    ("ghu_", 16),
    ("ghs_", 16),
    ("ghr_", 16),
    ("github_pat_", 16),
    ("glpat-", 16),
    ("xoxb-", 10),
    ("xoxp-", 10),
    ("xoxa-", 10),
    ("xapp-", 10),
    ("AKIA", 16),
    ("ASIA", 16),
    ("AIza", 30),
    ("npm_", 30),
    ("pypi-", 30),
];

/// Does this variable name mark a secret?
pub fn is_secret_name(name: &str) -> bool {
    let k = name.to_ascii_uppercase();
    k == "KEY"
        || k.ends_with("_KEY")
        || k.ends_with("KEY")
        || k.contains("_KEY_")
        || k.contains("APIKEY")
        || k.contains("TOKEN")
        || k.contains("SECRET")
        || k.contains("PASSWORD")
        || k.contains("PASSWD")
        || k.contains("CREDENTIAL")
        || k.contains("PRIVATE")
        || k.ends_with("_PASS")
        || k.ends_with("_PAT")
        || k.ends_with("_AUTH")
        || k.contains("_AUTH_")
}

/// Values to hide, from a set of variables: those whose name marks a secret,
/// and the credentials inside any URL (`https://user:secret@host/…`).
pub fn secret_values<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in vars {
        if v.len() >= MIN_SECRET_LEN && is_secret_name(k) {
            out.push(v.to_string());
        }
        if let Some((_, rest)) = v.split_once("://")
            && let Some((userinfo, _)) = rest.split('/').next().unwrap_or("").rsplit_once('@')
            && userinfo.len() >= 3
        {
            out.push(userinfo.to_string());
        }
    }
    out
}

/// Replaces known secret values and token-shaped words in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is hidden whole.
    values: Vec<String>,
}

impl Redactor {
    pub fn new(mut values: Vec<String>) -> Redactor {
        // Claude Code and Codex print JSON lines, which are redacted before
        // they are parsed: a secret holding `"`, `\` or a control character
        // appears there escaped, so its escaped form is hidden too.
        let escaped: Vec<String> = values
            .iter()
            .filter_map(|v| {
                let quoted = serde_json::to_string(v).ok()?;
                let inner = &quoted[1..quoted.len() - 1];
                (inner != v.as_str()).then(|| inner.to_string())
            })
            .collect();
        values.extend(escaped);
        values.retain(|v| v.len() >= 3);
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Redactor { values }
    }

    /// From a process environment (names and values that are not UTF-8 are
    /// read lossily: their valid parts are still hidden).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        Redactor::new(secret_values(
            vars.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ))
    }

    /// This one plus more values.
    pub fn with(&self, more: Vec<String>) -> Redactor {
        let mut values = self.values.clone();
        values.extend(more);
        Redactor::new(values)
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The text with every secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        redact_with(text, &self.values)
    }
}

/// Replace `values` (longest first, as [`Redactor::values`] keeps them) and
/// token-shaped words in text.
pub fn redact_with<'a>(text: &'a str, values: &[String]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for s in values {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    match redact_tokens(&out) {
        Some(t) => Cow::Owned(t),
        None => out,
    }
}

/// The redactor of shiftboss's own environment, computed once.
pub fn global() -> &'static Redactor {
    static GLOBAL: OnceLock<Redactor> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        Redactor::from_env(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
    })
}

/// Hide secrets in text with the process-wide redactor.
pub fn redact(text: &str) -> Cow<'_, str> {
    global().redact(text)
}

fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Words starting with a known token prefix (at a word start) followed by
/// enough token characters; None when there is none.
fn redact_tokens(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at_start = i == 0 || !token_char(bytes[i - 1]);
        let found = at_start
            .then(|| {
                TOKEN_PREFIXES.iter().find_map(|(p, min)| {
                    if !bytes[i..].starts_with(p.as_bytes()) {
                        return None;
                    }
                    let body = bytes[i + p.len()..]
                        .iter()
                        .take_while(|c| token_char(**c))
                        .count();
                    (body >= *min).then_some(p.len() + body)
                })
            })
            .flatten();
        match found {
            Some(len) => {
                let o = out.get_or_insert_with(String::new);
                o.push_str(&text[copied..i]);
                o.push_str(MASK);
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Redactor {
        Redactor::from_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// A secret with a quote or a backslash in it is hidden in the JSON
    /// lines the agent CLIs print, where it appears escaped, and in the
    /// text parsed out of them.
    #[test]
    fn a_secret_is_hidden_in_its_json_escaped_form_too() {
        let r = env(&[("DB_PASSWORD", r#"pa"ss\word-77"#)]);
        let line = serde_json::json!({"type": "text", "text": r#"the password is pa"ss\word-77"#})
            .to_string();
        assert!(line.contains(r#"pa\"ss\\word-77"#), "{line}");
        let hidden = r.redact(&line);
        assert!(!hidden.contains("word-77"), "{hidden}");
        let parsed: serde_json::Value = serde_json::from_str(&hidden).unwrap();
        assert_eq!(parsed["text"], format!("the password is {MASK}"));
        assert_eq!(
            r.redact(r#"plain: pa"ss\word-77"#),
            format!("plain: {MASK}")
        );
    }

    #[test]
    fn values_of_secret_named_variables_are_hidden() {
        let r = env(&[
            ("MY_SERVICE_TOKEN", "plain-value-42"),
            ("DB_PASSWORD", "hunter22"),
            ("SMTP_PASS", "letmein9"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
            ("OPENAI_API_KEY", "abcdef"),
            ("GH_CREDENTIALS", "creds-xyz"),
            ("LANG", "C.UTF-8"),
            ("SHORT_TOKEN", "abc"),
            ("HOME", "/home/operator"),
        ]);
        let line = "plain-value-42 hunter22 letmein9 wJalrXUtnFEMI abcdef creds-xyz abc /home/operator C.UTF-8";
        assert_eq!(
            r.redact(line),
            "[redacted] [redacted] [redacted] [redacted] [redacted] [redacted] abc /home/operator C.UTF-8"
        );
    }

    #[test]
    fn known_token_prefixes_are_hidden_anywhere() {
        let r = Redactor::default();
        for token in [
            "sk-ant-api03-AbCdEfGhIjKlMnOp",
            "sk-proj-AbCdEfGhIjKlMnOp",
            "sk-0123456789abcdefABCDEF",
            "ghp_0123456789abcdefABCDEF",
            "github_pat_11ABCDEFG0123456789_abcdef",
            "glpat-0123456789abcdefABCD",
            "xoxb-1234567890-abcdef",
            "AKIAIOSFODNN7EXAMPLE",
        ] {
            let line = format!("found {token}, done");
            assert_eq!(r.redact(&line), "found [redacted], done", "{token}");
        }
    }

    #[test]
    fn commit_ids_and_ordinary_words_stay() {
        let r = env(&[("HOME", "/root")]);
        for line in [
            "merged 3f2a9c1e8b7d6f5a4c3b2a1908f7e6d5c4b3a291 onto main",
            "task-1234567890abcdefgh desk-0123456789abcdefXYZ",
            "sk-short",
            "use scikit-learn; risk-free",
        ] {
            assert_eq!(r.redact(line), line);
        }
    }

    #[test]
    fn url_credentials_and_longest_secret_first() {
        let r = env(&[
            (
                "ANTHROPIC_BASE_URL",
                "https://bob:hunter22@proxy.example/v1",
            ),
            ("A_TOKEN", "secret"),
            ("B_TOKEN", "secret-longer"),
        ]);
        assert_eq!(
            r.redact("POST https://bob:hunter22@proxy.example/v1 secret-longer"),
            "POST https://[redacted]@proxy.example/v1 [redacted]"
        );
    }
}
