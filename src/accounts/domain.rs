//! Account input, parsed into types that can only hold valid values.
//!
//! Each `parse` returns the message shown beside its form field when the input is refused.

use serde::{Deserialize, Serialize};

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted, in characters (long passphrases welcome; the cap bounds hashing).
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Longest display name, in characters after trimming.
pub const NAME_MAX_CHARS: usize = 60;

/// A trimmed, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases `input` and checks it looks like an address.
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter your email address".into());
        }
        if email.chars().count() > 254 {
            return Err("That email address is too long".into());
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err("Enter an email address like name@example.com".into())
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1 to 60 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims `input` and checks its length and characters.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter your name".into());
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(format!("Use at most {NAME_MAX_CHARS} characters"));
        }
        if name.chars().any(char::is_control) {
            return Err("Names cannot contain control characters".into());
        }
        Ok(Self(name.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of acceptable length; any Unicode, kept exactly as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the length of a new password (not trimmed: spaces are part of it).
    pub fn parse(input: &str) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(format!("Use at least {PASSWORD_MIN_CHARS} characters"));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters"));
        }
        Ok(Self(input.to_owned()))
    }

    /// The password as typed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A same-site path to return to after signing in: one leading `/`, not `//`, no scheme,
/// no backslash, no control characters. Anything else becomes `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeNextPath(String);

impl SafeNextPath {
    /// `input` if it is a safe same-site path, else `/`.
    pub fn parse(input: Option<&str>) -> Self {
        let Some(path) = input.map(str::trim) else {
            return Self("/".into());
        };
        let safe = path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.chars().any(char::is_control)
            && !path.contains("://")
            && path.len() <= 2000;
        if safe {
            Self(path.to_owned())
        } else {
            Self("/".into())
        }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(DisplayName::parse("  李雷 ").unwrap().as_str(), "李雷");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(61)).is_err());
        assert!(DisplayName::parse(&"字".repeat(60)).is_ok());
        assert!(DisplayName::parse("bell\u{7}").is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("密码密码密码密码").is_ok());
        assert!(Password::parse(&"p".repeat(128)).is_ok());
        assert!(Password::parse(&"p".repeat(1025)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-password").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn next_accepts_only_same_site_paths() {
        let next = |s: &str| SafeNextPath::parse(Some(s)).as_str().to_owned();
        assert_eq!(
            next("/articles/x#reader-feedback"),
            "/articles/x#reader-feedback"
        );
        assert_eq!(next("/?page=2"), "/?page=2");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/redirect?to=https://evil.example",
            "/\nfoo",
            "",
        ] {
            assert_eq!(next(bad), "/", "{bad:?}");
        }
        assert_eq!(SafeNextPath::parse(None).as_str(), "/");
    }
}
