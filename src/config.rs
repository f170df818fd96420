//! Runtime configuration: `Leptos.toml`, each key overridable by `BESTHUB_<KEY>`.
//!
//! Every value is checked at start-up; a bad one stops the server with a message that names
//! the key, where the value came from and what is wrong with it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration file read when `BESTHUB_CONFIG` does not name another one.
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

/// Every key the configuration file may hold.
const KEYS: &[&str] = &[
    "listen",
    "database_url",
    "public_url",
    "site_name",
    "contact_email",
    "republication_notice",
    "body_limit_bytes",
    "log_filter",
    "trusted_proxies",
    "signups_per_hour",
    "sign_ins_per_minute",
    "comments_per_minute",
    "first_comments_held",
    "max_links_before_review",
    "reports_per_hour",
    "takedowns_per_hour",
    "page_cache_seconds",
    "page_cache_pages",
    "live_streams_per_client",
    "live_streams_total",
];

/// The validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Public base URL without a trailing slash, used for canonical links and cookie security.
    pub public_url: String,
    /// Name of the site shown in titles and the header.
    pub site_name: String,
    /// Address for takedown requests, shown in every republication notice.
    pub contact_email: String,
    /// Text of the republication notice on every article.
    pub republication_notice: String,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// `tracing` filter directive, e.g. `info,besthub=debug`.
    pub log_filter: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed; nobody else's is.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: i64,
    /// Sign-in attempts allowed per client address per minute.
    pub sign_ins_per_minute: i64,
    /// Comments (and replies) one reader may post per minute.
    pub comments_per_minute: i64,
    /// A reader's first comments that wait for a moderator's approval (0: none).
    pub first_comments_held: i64,
    /// Links a comment may hold before it waits for a moderator's approval.
    pub max_links_before_review: i64,
    /// Reports one reader may send per hour.
    pub reports_per_hour: i64,
    /// Takedown requests one client address may send per hour.
    pub takedowns_per_hour: i64,
    /// Longest time a page rendered for anonymous readers is served again (0: never).
    pub page_cache_seconds: u64,
    /// Pages the page cache keeps at most (the least recently used go first).
    pub page_cache_pages: usize,
    /// Live-update streams one client address may hold open at once.
    pub live_streams_per_client: usize,
    /// Live-update streams this server holds open at once, all clients together.
    pub live_streams_total: usize,
}

/// A configuration problem, phrased for the person starting the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Where a value came from, so an error can point at it.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Env(String),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "in {}", path.display()),
            Self::Env(var) => write!(f, "from {var}"),
            Self::Default => f.write_str("by default"),
        }
    }
}

/// Raw values before validation, each with its origin.
struct RawValues(BTreeMap<&'static str, (String, Source)>);

impl RawValues {
    fn get(&self, key: &'static str) -> Option<&(String, Source)> {
        self.0.get(key)
    }

    /// The value of `key` (or `default`), parsed by `parse`; errors name the key and value.
    fn parse<T>(
        &self,
        key: &'static str,
        default: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let (value, source) = match (self.get(key), default) {
            (Some((value, source)), _) => (value.clone(), source.clone()),
            (None, Some(default)) => (default.to_owned(), Source::Default),
            (None, None) => {
                return Err(ConfigError(format!(
                    "config: `{key}` is missing (set it in the config file or BESTHUB_{})",
                    key.to_uppercase()
                )))
            }
        };
        parse(&value).map_err(|why| {
            ConfigError(format!(
                "config: `{key}` = {value:?} ({source}) is not valid: {why}"
            ))
        })
    }
}

impl Config {
    /// Reads the file named by `BESTHUB_CONFIG` (or `Leptos.toml`) and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var_os("BESTHUB_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let text = std::fs::read_to_string(&path).map_err(|err| {
            ConfigError(format!(
                "config: cannot read {}: {err} (run from the project folder or set BESTHUB_CONFIG)",
                path.display()
            ))
        })?;
        Self::from_sources(&path, &text, |var| std::env::var(var).ok())
    }

    /// Builds the configuration from file text and an environment lookup (testable).
    pub fn from_sources(
        path: &Path,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|err: toml::de::Error| {
            ConfigError(format!(
                "config: {} is not valid TOML: {}",
                path.display(),
                err.message()
            ))
        })?;
        let mut raw = BTreeMap::new();
        for (key, value) in &table {
            let Some(known) = KEYS.iter().find(|k| **k == key.as_str()) else {
                return Err(ConfigError(format!(
                    "config: unknown key `{key}` in {} (known keys: {})",
                    path.display(),
                    KEYS.join(", ")
                )));
            };
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                other => {
                    return Err(ConfigError(format!(
                        "config: `{key}` in {} must be a string or a number, not {}",
                        path.display(),
                        other.type_str()
                    )))
                }
            };
            raw.insert(*known, (text, Source::File(path.to_owned())));
        }
        for key in KEYS {
            let var = format!("BESTHUB_{}", key.to_uppercase());
            if let Some(value) = env(&var) {
                raw.insert(*key, (value, Source::Env(var)));
            }
        }
        Self::validate(&RawValues(raw))
    }

    fn validate(raw: &RawValues) -> Result<Self, ConfigError> {
        let listen: SocketAddr = raw.parse("listen", Some("127.0.0.1:3000"), |v| {
            v.parse()
                .map_err(|_| "expected an address such as 127.0.0.1:3000".to_owned())
        })?;
        let database_url = raw.parse(
            "database_url",
            Some("sqlite://data/besthub.db"),
            parse_database_url,
        )?;
        let default_public = format!("http://{listen}");
        let public_url = raw.parse("public_url", Some(&default_public), |v| {
            if v.trim().is_empty() {
                return Ok(default_public.clone());
            }
            parse_public_url(v)
        })?;
        let site_name = raw.parse("site_name", Some("BestHub"), |v| nonempty_line(v, 60))?;
        let contact_email = raw.parse("contact_email", None, parse_email)?;
        let republication_notice =
            raw.parse("republication_notice", None, |v| nonempty_line(v, 2000))?;
        let body_limit_bytes = raw.parse("body_limit_bytes", Some("1048576"), |v| {
            let n: usize = v
                .trim()
                .parse()
                .map_err(|_| "expected a whole number of bytes".to_owned())?;
            if (1024..=64 * 1024 * 1024).contains(&n) {
                Ok(n)
            } else {
                Err("expected between 1024 and 67108864 bytes".to_owned())
            }
        })?;
        let log_filter = raw.parse("log_filter", Some("info"), |v| {
            tracing_subscriber::EnvFilter::try_new(v)
                .map(|_| v.to_owned())
                .map_err(|e| e.to_string())
        })?;
        let trusted_proxies = raw.parse("trusted_proxies", Some(""), |v| {
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().map_err(|_| format!("{p:?} is not an IP address")))
                .collect()
        })?;
        let signups_per_hour = raw.parse("signups_per_hour", Some("60"), |v| {
            match v.trim().parse::<i64>() {
                Ok(n) if n >= 60 => Ok(n),
                _ => Err("expected a whole number of at least 60".to_owned()),
            }
        })?;
        let sign_ins_per_minute = raw.parse("sign_ins_per_minute", Some("30"), |v| {
            match v.trim().parse::<i64>() {
                Ok(n) if n >= 5 => Ok(n),
                _ => Err("expected a whole number of at least 5".to_owned()),
            }
        })?;
        let comments_per_minute = raw.parse("comments_per_minute", Some("5"), |v| {
            match v.trim().parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err("expected a whole number of at least 1".to_owned()),
            }
        })?;
        let count = |v: &str, min: i64| match v.trim().parse::<i64>() {
            Ok(n) if (min..=1_000_000).contains(&n) => Ok(n),
            _ => Err(format!("expected a whole number from {min} to 1000000")),
        };
        let first_comments_held = raw.parse("first_comments_held", Some("0"), |v| count(v, 0))?;
        let max_links_before_review =
            raw.parse("max_links_before_review", Some("3"), |v| count(v, 0))?;
        let reports_per_hour = raw.parse("reports_per_hour", Some("20"), |v| count(v, 1))?;
        let takedowns_per_hour = raw.parse("takedowns_per_hour", Some("5"), |v| count(v, 1))?;
        let page_cache_seconds = raw.parse("page_cache_seconds", Some("60"), |v| {
            match v.trim().parse::<u64>() {
                Ok(n) if n <= 3600 => Ok(n),
                _ => Err("expected a whole number of seconds from 0 to 3600".to_owned()),
            }
        })?;
        let page_cache_pages = raw.parse("page_cache_pages", Some("4000"), |v| {
            match v.trim().parse::<usize>() {
                Ok(n) if (16..=1_000_000).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 16 to 1000000".to_owned()),
            }
        })?;
        let live_streams_per_client =
            raw.parse("live_streams_per_client", Some("16"), |v| {
                match v.trim().parse::<usize>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                    _ => Err("expected a whole number from 1 to 1000000".to_owned()),
                }
            })?;
        let live_streams_total = raw.parse("live_streams_total", Some("10000"), |v| {
            match v.trim().parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 1 to 1000000".to_owned()),
            }
        })?;
        Ok(Self {
            listen,
            database_url,
            public_url,
            site_name,
            contact_email,
            republication_notice,
            body_limit_bytes,
            log_filter,
            trusted_proxies,
            signups_per_hour,
            sign_ins_per_minute,
            comments_per_minute,
            first_comments_held,
            max_links_before_review,
            reports_per_hour,
            takedowns_per_hour,
            page_cache_seconds,
            page_cache_pages,
            live_streams_per_client,
            live_streams_total,
        })
    }

    /// Whether cookies must carry `Secure` (the site is served over https).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn parse_database_url(v: &str) -> Result<String, String> {
    let v = v.trim();
    if let Some(rest) = v.strip_prefix("sqlite:") {
        if rest.trim_start_matches('/').is_empty() {
            return Err("a sqlite URL needs a file path, e.g. sqlite://data/besthub.db".into());
        }
        return Ok(v.to_owned());
    }
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        url::Url::parse(v).map_err(|e| format!("not a valid postgres URL: {e}"))?;
        return Ok(v.to_owned());
    }
    Err("expected a sqlite://… or postgres://… URL".into())
}

fn parse_public_url(v: &str) -> Result<String, String> {
    let url = url::Url::parse(v.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_email(v: &str) -> Result<String, String> {
    let v = v.trim();
    match v.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(v.to_owned())
        }
        _ => Err("expected an email address such as takedown@example.com".into()),
    }
}

fn nonempty_line(v: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
contact_email = "takedown@example.com"
republication_notice = "Republished with permission."
"#;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(Path::new("Leptos.toml"), text, |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_fill_optional_keys() {
        let config = load(MINIMAL, &[]).expect("valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/besthub.db");
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert_eq!(config.site_name, "BestHub");
        assert!(!config.is_https());
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(
            MINIMAL,
            &[
                ("BESTHUB_LISTEN", "127.0.0.1:4000"),
                ("BESTHUB_PUBLIC_URL", "https://besthub.example/"),
                ("BESTHUB_BODY_LIMIT_BYTES", "2048"),
            ],
        )
        .expect("valid");
        assert_eq!(config.listen.port(), 4000);
        assert_eq!(config.public_url, "https://besthub.example");
        assert!(config.is_https());
        assert_eq!(config.body_limit_bytes, 2048);
        let config = load(MINIMAL, &[("BESTHUB_TRUSTED_PROXIES", "10.0.0.1, ::1")]).expect("valid");
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(load(MINIMAL, &[("BESTHUB_TRUSTED_PROXIES", "proxy")]).is_err());
        assert!(load(MINIMAL, &[("BESTHUB_SIGNUPS_PER_HOUR", "5")]).is_err());
        assert_eq!(load(MINIMAL, &[]).expect("valid").sign_ins_per_minute, 30);
        let config = load(MINIMAL, &[("BESTHUB_SIGN_INS_PER_MINUTE", "500")]).expect("valid");
        assert_eq!(config.sign_ins_per_minute, 500);
        assert!(load(MINIMAL, &[("BESTHUB_SIGN_INS_PER_MINUTE", "0")]).is_err());
    }

    #[test]
    fn bad_values_name_key_value_and_source() {
        let err = load(MINIMAL, &[("BESTHUB_LISTEN", "nowhere")]).unwrap_err();
        assert!(err.0.contains("`listen`"), "{err}");
        assert!(err.0.contains("\"nowhere\""), "{err}");
        assert!(err.0.contains("BESTHUB_LISTEN"), "{err}");

        let err = load(MINIMAL, &[("BESTHUB_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.0.contains("`database_url`"), "{err}");

        let err = load(&format!("{MINIMAL}\nbody_limit_bytes = 10\n"), &[]).unwrap_err();
        assert!(
            err.0.contains("`body_limit_bytes`") && err.0.contains("Leptos.toml"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_missing_required_keys_are_refused() {
        let err = load(&format!("{MINIMAL}\nlisten_port = 3\n"), &[]).unwrap_err();
        assert!(err.0.contains("unknown key `listen_port`"), "{err}");
        let err = load("republication_notice = \"x\"", &[]).unwrap_err();
        assert!(err.0.contains("`contact_email` is missing"), "{err}");
    }
}
