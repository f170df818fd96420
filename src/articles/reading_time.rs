//! Reading time that treats Latin-script and CJK text fairly.
//!
//! Counting "words" by spaces makes a Chinese article look like a handful of very long words,
//! so CJK characters are counted one by one at their own reading speed.

/// Latin-script words read per minute.
pub const WORDS_PER_MINUTE: f64 = 230.0;
/// CJK characters read per minute.
pub const CJK_CHARS_PER_MINUTE: f64 = 500.0;

/// Counts of the two kinds of text in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextCounts {
    /// Runs of letters or digits that are not CJK.
    pub words: usize,
    /// Han, kana and Hangul characters.
    pub cjk_chars: usize,
}

/// Whether `c` is read one character at a time (Han, kana, Hangul, CJK punctuation excluded).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F  // Extensions B and later, compatibility supplement
    )
}

/// Counts words and CJK characters in plain text.
pub fn count(text: &str) -> TextCounts {
    let mut counts = TextCounts::default();
    let mut in_word = false;
    for c in text.chars() {
        if is_cjk(c) {
            counts.cjk_chars += 1;
            in_word = false;
        } else if c.is_alphanumeric() || (in_word && matches!(c, '\'' | '’' | '-' | '_')) {
            if !in_word {
                counts.words += 1;
                in_word = true;
            }
        } else {
            in_word = false;
        }
    }
    counts
}

/// Whole minutes to read `text`, at least one.
pub fn minutes(text: &str) -> i64 {
    let counts = count(text);
    let minutes =
        counts.words as f64 / WORDS_PER_MINUTE + counts.cjk_chars as f64 / CJK_CHARS_PER_MINUTE;
    (minutes.ceil() as i64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_counts_words() {
        let text = "word ".repeat(460);
        assert_eq!(count(&text).words, 460);
        assert_eq!(minutes(&text), 2);
        assert_eq!(minutes(&"word ".repeat(461)), 3);
    }

    #[test]
    fn chinese_counts_characters_not_spaces() {
        // 1,000 Han characters with no spaces at all: two minutes, not "one word".
        let text = "数据库".repeat(333) + "库";
        assert_eq!(
            count(&text),
            TextCounts {
                words: 0,
                cjk_chars: 1000
            }
        );
        assert_eq!(minutes(&text), 2);
    }

    #[test]
    fn mixed_text_adds_both_rates() {
        // 230 English words (1 min) + 1,000 CJK characters (2 min) = 3 min.
        let text = format!("{} {}", "SQLite ".repeat(230), "写入".repeat(500));
        let counts = count(&text);
        assert_eq!(
            counts,
            TextCounts {
                words: 230,
                cjk_chars: 1000
            }
        );
        assert_eq!(minutes(&text), 3);
    }

    #[test]
    fn punctuation_and_contractions() {
        assert_eq!(count("don't stop—it's fine. 你好，世界！").words, 4);
        assert_eq!(count("你好，世界！").cjk_chars, 4);
        assert_eq!(minutes(""), 1);
    }
}
