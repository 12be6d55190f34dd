//! Secrets in settings (database URLs with passwords, token secrets): a
//! wrapper whose `Debug` never prints them, so a settings struct can be
//! logged or shown in an error without leaking what it holds.

use std::fmt;

/// A secret string. Read it with [`Secret::expose`], where it is used.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself: pass it on to what needs it, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_secret() {
        let url = Secret::new("postgres://app:hunter2@db/leads");
        assert_eq!(format!("{url:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(url.clone())), "Some(Secret(***))");
        assert_eq!(url.expose(), "postgres://app:hunter2@db/leads");
    }
}
