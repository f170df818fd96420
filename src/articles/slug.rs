//! Slugs: the readable, ASCII-only names of articles, authors and headings in URLs.

/// Lower-case ASCII letters and digits joined by single hyphens ("Hello, World" → "hello-world");
/// other scripts are transliterated first ("Tomás" → "tomas").
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in deunicode::deunicode(text)
        .chars()
        .flat_map(char::to_lowercase)
    {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-')
        .chars()
        .take(80)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_collapses_punctuation() {
        assert_eq!(slugify("  Hello,  World! "), "hello-world");
        assert_eq!(slugify("Tomás Okafor"), "tomas-okafor");
        assert_eq!(slugify("数据库"), "shu-ju-ku");
    }
}
