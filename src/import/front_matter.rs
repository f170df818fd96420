//! Parsing and validating one Markdown file with YAML front matter.
//!
//! Parse, don't validate: [`parse_article`] either returns an [`ImportedArticle`] whose every
//! field is valid, or a [`FieldError`] naming the first field that is not.

use serde_yaml::{Mapping, Value};

use crate::articles::reading_time;
use crate::articles::render::render_markdown;
use crate::articles::slug::slugify;
use crate::articles::store::{NewArticle, NewAuthor};

/// A problem with one field of a file (`field` is a front matter key, `front matter` or `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field at fault.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FieldError {
    fn new(field: &str, problem: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A file's article and author, validated and rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedArticle {
    /// The author, created or updated with the article.
    pub author: NewAuthor,
    /// The article.
    pub article: NewArticle,
}

const KNOWN_KEYS: &[&str] = &[
    "title",
    "slug",
    "summary",
    "author",
    "author_bio",
    "tags",
    "source_url",
    "published",
    "lang",
];

/// Splits `text` into its YAML front matter and Markdown body, validates every field and
/// renders the body.
pub fn parse_article(text: &str) -> Result<ImportedArticle, FieldError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (yaml, body) = split_front_matter(text)?;
    let map: Mapping = match serde_yaml::from_str::<Value>(yaml) {
        Ok(Value::Mapping(map)) => map,
        Ok(_) => {
            return Err(FieldError::new(
                "front matter",
                "must be a YAML mapping of keys to values",
            ))
        }
        Err(err) => {
            return Err(FieldError::new(
                "front matter",
                format!("is not valid YAML: {err}"),
            ))
        }
    };
    for key in map.keys() {
        match key.as_str() {
            Some(k) if KNOWN_KEYS.contains(&k) => {}
            Some(k) => {
                return Err(FieldError::new(
                    k,
                    format!("unknown field (known fields: {})", KNOWN_KEYS.join(", ")),
                ))
            }
            None => return Err(FieldError::new("front matter", "keys must be strings")),
        }
    }

    let title = required_line(&map, "title", 200)?;
    let summary = required_line(&map, "summary", 500)?;
    let author_name = required_line(&map, "author", 80)?;
    let author_bio = required_line(&map, "author_bio", 1000)?;
    let source_url = parse_source_url(&required_line(&map, "source_url", 2000)?)?;
    let published_at = parse_published(&map)?;
    let tags = parse_tags(&map)?;
    let slug = match optional_string(&map, "slug")? {
        Some(slug) => validate_slug(slug.trim()).map_err(|p| FieldError::new("slug", p))?,
        None => validate_slug(&slugify(&title)).map_err(|_| {
            FieldError::new(
                "slug",
                "cannot be made from the title; add a `slug` of a-z, 0-9 and -",
            )
        })?,
    };
    let lang = match optional_string(&map, "lang")? {
        Some(lang) => validate_lang(lang.trim()).map_err(|p| FieldError::new("lang", p))?,
        None => "en".to_owned(),
    };
    if body.trim().is_empty() {
        return Err(FieldError::new("body", "is empty"));
    }

    let author_handle = validate_slug(&slugify(&author_name)).map_err(|_| {
        FieldError::new(
            "author",
            "must contain letters or digits we can make a handle from",
        )
    })?;
    let rendered = render_markdown(body);
    Ok(ImportedArticle {
        author: NewAuthor {
            handle: author_handle,
            name: author_name,
            bio: author_bio,
        },
        article: NewArticle {
            slug,
            title,
            summary,
            body_markdown: body.to_owned(),
            body_html: rendered.html,
            lang,
            source_url,
            reading_minutes: reading_time::minutes(&rendered.plain_text),
            published_at,
            tags,
        },
    })
}

fn split_front_matter(text: &str) -> Result<(&str, &str), FieldError> {
    let missing = || {
        FieldError::new(
            "front matter",
            "missing: the file must start with a line `---`",
        )
    };
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(missing)?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Ok((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(FieldError::new(
        "front matter",
        "not closed: add a line `---` after it",
    ))
}

fn optional_string(map: &Mapping, key: &str) -> Result<Option<String>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(key, "must be text")),
    }
}

fn required_line(map: &Mapping, key: &str, max: usize) -> Result<String, FieldError> {
    let value = optional_string(map, key)?.ok_or_else(|| FieldError::new(key, "missing"))?;
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(key, "is empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            key,
            format!("is longer than {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(key, "contains control characters"));
    }
    Ok(value.to_owned())
}

fn parse_source_url(value: &str) -> Result<String, FieldError> {
    let url = url::Url::parse(value)
        .map_err(|e| FieldError::new("source_url", format!("{value:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FieldError::new(
            "source_url",
            format!("must be an http or https URL, not {}:", url.scheme()),
        ));
    }
    if url.host_str().is_none() {
        return Err(FieldError::new("source_url", "has no host"));
    }
    Ok(url.to_string())
}

fn parse_published(map: &Mapping) -> Result<i64, FieldError> {
    let value = optional_string(map, "published")?
        .ok_or_else(|| FieldError::new("published", "missing"))?;
    let value = value.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        if let Some(t) = date.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    Err(FieldError::new(
        "published",
        format!("{value:?} is not a date like 2026-03-17 or 2026-03-17T09:30:00Z"),
    ))
}

fn parse_tags(map: &Mapping) -> Result<Vec<String>, FieldError> {
    let items = match map.get("tags") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            return Err(FieldError::new(
                "tags",
                "must be a list, e.g. [rust, databases]",
            ))
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for item in items {
        let raw = match item {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(FieldError::new("tags", "every tag must be text")),
        };
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() {
            return Err(FieldError::new("tags", "contains an empty tag"));
        }
        if tag.chars().count() > 40 {
            return Err(FieldError::new(
                "tags",
                format!("{raw:?} is longer than 40 characters"),
            ));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '+'))
        {
            return Err(FieldError::new(
                "tags",
                format!("{raw:?} may only contain letters, digits, '-', '.' and '+'"),
            ));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 10 {
        return Err(FieldError::new("tags", "at most 10 tags"));
    }
    Ok(tags)
}

fn validate_slug(slug: &str) -> Result<String, String> {
    let ok = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(slug.to_owned())
    } else {
        Err(format!(
            "{slug:?} must be 1 to 100 of a-z, 0-9 and single hyphens, e.g. sqlite-in-production"
        ))
    }
}

fn validate_lang(lang: &str) -> Result<String, String> {
    let mut parts = lang.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(lang.to_owned())
    } else {
        Err(format!(
            "{lang:?} is not a language tag such as en, zh or zh-Hans"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---
title: \"Hello, SQLite\"
summary: Short.
author: Ada Example
author_bio: Writes things.
tags: [Rust, ' databases ', rust]
source_url: https://example.com/a
published: 2026-03-17
---
Body text here.
";

    fn with(replace: &str, by: &str) -> Result<ImportedArticle, FieldError> {
        parse_article(&GOOD.replace(replace, by))
    }

    #[test]
    fn valid_file_is_parsed_and_normalised() {
        let parsed = parse_article(GOOD).expect("valid");
        assert_eq!(parsed.article.slug, "hello-sqlite");
        assert_eq!(parsed.article.tags, vec!["rust", "databases"]);
        assert_eq!(parsed.article.lang, "en");
        assert_eq!(parsed.author.handle, "ada-example");
        assert!(parsed.article.body_html.contains("<p>Body text here.</p>"));
        assert_eq!(parsed.article.reading_minutes, 1);
    }

    #[test]
    fn each_problem_names_its_field() {
        let field = |r: Result<ImportedArticle, FieldError>| r.unwrap_err().field;
        assert_eq!(field(with("title: \"Hello, SQLite\"\n", "")), "title");
        assert_eq!(
            field(with("https://example.com/a", "javascript:alert(1)")),
            "source_url"
        );
        assert_eq!(
            field(with("https://example.com/a", "ftp://example.com/a")),
            "source_url"
        );
        assert_eq!(field(with("2026-03-17", "17/03/2026")), "published");
        assert_eq!(field(with("[Rust, ' databases ', rust]", "rust")), "tags");
        assert_eq!(
            field(with("[Rust, ' databases ', rust]", "[\"a b\"]")),
            "tags"
        );
        assert_eq!(
            field(with("published:", "lang: \"en us\"\npublished:")),
            "lang"
        );
        assert_eq!(
            field(with("published:", "colour: red\npublished:")),
            "colour"
        );
        assert_eq!(field(with("Body text here.\n", "")), "body");
        assert_eq!(field(parse_article("no front matter")), "front matter");
        assert_eq!(field(parse_article("---\ntitle: x\n")), "front matter");
    }

    #[test]
    fn cjk_title_gets_a_transliterated_or_explicit_slug() {
        let derived = with("\"Hello, SQLite\"", "中文标题").expect("valid");
        assert_eq!(derived.article.slug, "zhong-wen-biao-ti");
        let err = with("\"Hello, SQLite\"", "\"!!!\"").unwrap_err();
        assert_eq!(err.field, "slug");
        let ok = with(
            "title: \"Hello, SQLite\"",
            "title: 中文标题\nslug: zh-title\nlang: zh",
        )
        .expect("valid");
        assert_eq!(ok.article.slug, "zh-title");
        assert_eq!(ok.article.lang, "zh");
    }
}
