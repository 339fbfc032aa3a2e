//! Bearer tokens from a file, each with a role. A viewer reads; an
//! operator also submits and cancels orders and closes and reopens
//! places; an admin may do everything. Tokens are compared in constant
//! time and never logged: a refusal names the role that was needed, not
//! the token that was given.

use std::path::Path;

use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::problem::Problem;

/// What a token may do; each role may do what the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Also submits and cancels orders, closes and reopens places.
    Operator,
    /// Everything.
    Admin,
}

impl Role {
    /// Its name, as in the tokens file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

/// One entry of the tokens file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    token: String,
    role: Role,
}

/// The tokens a server accepts.
#[derive(Clone, Default)]
pub struct Tokens {
    entries: Vec<(Vec<u8>, Role)>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens themselves.
        f.debug_struct("Tokens").field("count", &self.entries.len()).finish()
    }
}

/// A tokens file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("tokens file {path}: {message}")]
pub struct TokensError {
    /// The file.
    pub path: String,
    /// What is wrong, with the line and column for JSON errors.
    pub message: String,
}

/// Tokens shorter than this are refused: a guessable token is no lock.
pub const MIN_TOKEN_LEN: usize = 16;

impl Tokens {
    /// Reads `[{"token": "…", "role": "viewer"|"operator"|"admin"}, …]`.
    pub fn load(path: &Path) -> Result<Tokens, TokensError> {
        let shown = path.display().to_string();
        let err = |message: String| TokensError { path: shown.clone(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Tokens::parse(&text).map_err(err)
    }

    /// Parses a tokens file's text.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
            format!(
                "line {}, column {}: {e}; expected a JSON list of {{\"token\": \"…\", \"role\": \"viewer\"|\"operator\"|\"admin\"}}",
                e.line(),
                e.column()
            )
        })?;
        if entries.is_empty() {
            return Err("no token: nobody could use the API".into());
        }
        for (i, e) in entries.iter().enumerate() {
            if e.token.len() < MIN_TOKEN_LEN || e.token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!(
                    "entry {i}: the token is {} characters; expected at least {MIN_TOKEN_LEN}, without spaces",
                    e.token.len()
                ));
            }
            if entries[..i].iter().any(|o| o.token == e.token) {
                return Err(format!("entry {i}: the same token as an earlier entry"));
            }
        }
        Ok(Tokens { entries: entries.into_iter().map(|e| (e.token.into_bytes(), e.role)).collect() })
    }

    /// The role of `token`, if it is one (constant time in the token's content).
    pub fn role_of(&self, token: &[u8]) -> Option<Role> {
        let mut found = None;
        for (t, role) in &self.entries {
            if bool::from(t.as_slice().ct_eq(token)) {
                found = Some(*role);
            }
        }
        found
    }

    /// The caller's role if it is at least `needed`; else 401 (no or
    /// unknown token) or 403 (a token whose role is not enough).
    pub fn require(&self, headers: &HeaderMap, needed: Role) -> Result<Role, Problem> {
        let unauthorized =
            |detail: &str| Problem::new(StatusCode::UNAUTHORIZED, "", detail).field("Authorization");
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized("this request needs a token: send `Authorization: Bearer TOKEN`")
                .expected("Bearer TOKEN"));
        };
        let value = value.as_bytes();
        let token = match value.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case(b"bearer ") => value[7..].trim_ascii(),
            _ => {
                return Err(
                    unauthorized("the Authorization header is not a bearer token").expected("Bearer TOKEN")
                );
            }
        };
        let Some(role) = self.role_of(token) else {
            return Err(unauthorized("the token is not one this server accepts"));
        };
        if role < needed {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this request needs the {} role; the token's role is {}", needed.name(), role.name()),
            ));
        }
        Ok(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn roles_are_ordered_and_refusals_are_401_or_403() {
        let tokens = Tokens::parse(
            r#"[{"token":"viewer-token-0123456","role":"viewer"},{"token":"operator-token-0123","role":"operator"}]"#,
        )
        .unwrap();
        assert_eq!(tokens.require(&with("Bearer viewer-token-0123456"), Role::Viewer), Ok(Role::Viewer));
        assert_eq!(tokens.require(&with("bearer operator-token-0123"), Role::Operator), Ok(Role::Operator));
        let p = tokens.require(&with("Bearer viewer-token-0123456"), Role::Operator).unwrap_err();
        assert_eq!(p.status, 403);
        assert!(p.detail.contains("operator role"), "{p:?}");
        assert!(!p.detail.contains("viewer-token"), "the token is never repeated: {p:?}");
        assert_eq!(tokens.require(&HeaderMap::new(), Role::Viewer).unwrap_err().status, 401);
        assert_eq!(tokens.require(&with("Basic dXNlcjpwYXNz"), Role::Viewer).unwrap_err().status, 401);
        let p = tokens.require(&with("Bearer viewer-token-012345X"), Role::Viewer).unwrap_err();
        assert_eq!(p.status, 401);
        assert!(!p.detail.contains("012345X"), "{p:?}");
        assert!(!format!("{tokens:?}").contains("token-0"), "Debug shows no token");
    }

    #[test]
    fn bad_tokens_files_say_what_is_wrong() {
        for (text, expected) in [
            ("", "line 1"),
            ("[]", "no token"),
            (r#"[{"token":"short","role":"viewer"}]"#, "at least 16"),
            (r#"[{"token":"a-long-enough-token","role":"root"}]"#, "unknown variant `root`"),
            (r#"[{"token":"a-long-enough-token","role":"viewer","x":1}]"#, "unknown field `x`"),
            (
                r#"[{"token":"a-long-enough-token","role":"viewer"},{"token":"a-long-enough-token","role":"admin"}]"#,
                "same token",
            ),
        ] {
            let err = Tokens::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_tokens_file_and_any_authorization_header_gets_an_answer_not_a_panic(
            text in ".{0,200}",
            header in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
        ) {
            let _ = Tokens::parse(&text);
            let tokens = Tokens::parse(r#"[{"token":"operator-token-0123","role":"operator"}]"#).unwrap();
            if let Ok(value) = HeaderValue::from_bytes(&header) {
                let mut h = HeaderMap::new();
                h.insert(header::AUTHORIZATION, value);
                let answer = tokens.require(&h, Role::Viewer);
                proptest::prop_assert!(answer.is_ok() || answer.is_err_and(|p| p.status == 401));
            }
        }
    }
}
