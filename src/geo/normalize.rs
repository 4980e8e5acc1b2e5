//! Folding names so that "São Paulo", "SAO-PAULO" and "sao  paulo" compare equal.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds a name for matching: lower case, Unicode NFKD with the combining marks dropped
/// ("é" → "e"), a few letters NFKD keeps folded by hand ("ł" → "l", "ß" → "ss", "ø" → "o"),
/// apostrophes dropped ("Xi'an" → "xian"), any other run of non-alphanumerics as one space,
/// trimmed. Letters of other scripts stay as they are.
///
/// `data/gazetteer/make.py` folds the same way to drop duplicate alternates; the index is
/// built with this function, so the two need not agree exactly.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    if text.is_ascii() {
        // Most names: NFKD leaves ASCII alone.
        for c in text.chars() {
            match c {
                '\'' | '`' => {}
                c if c.is_ascii_alphanumeric() => {
                    push_word_char(&mut out, &mut gap, c.to_ascii_lowercase())
                }
                _ => gap = true,
            }
        }
        return out;
    }
    let chars = text
        .chars()
        .flat_map(char::to_lowercase)
        .nfkd()
        .flat_map(char::to_lowercase)
        .filter(|&c| !is_combining_mark(c));
    for c in chars {
        let folded = match c {
            '\'' | '’' | 'ʻ' | 'ʼ' | '`' | '´' | 'ʹ' | '‘' => continue,
            'ł' | 'ŀ' => "l",
            'ø' => "o",
            'đ' | 'ð' => "d",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            'þ' => "th",
            'ı' => "i",
            'ħ' => "h",
            c if c.is_alphanumeric() => {
                push_word_char(&mut out, &mut gap, c);
                continue;
            }
            _ => {
                gap = true;
                continue;
            }
        };
        for c in folded.chars() {
            push_word_char(&mut out, &mut gap, c);
        }
    }
    out
}

fn push_word_char(out: &mut String, gap: &mut bool, c: char) {
    if *gap && !out.is_empty() {
        out.push(' ');
    }
    *gap = false;
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(normalize("São Paulo"), "sao paulo");
        assert_eq!(normalize("  SAO-PAULO "), "sao paulo");
        assert_eq!(normalize("München"), "munchen");
        assert_eq!(normalize("Łódź"), "lodz");
        assert_eq!(normalize("St. John's"), "st johns");
        assert_eq!(normalize("Xi’an"), "xian");
        assert_eq!(normalize("İstanbul"), "istanbul");
        assert_eq!(normalize("Straße"), "strasse");
        assert_eq!(normalize("Frankfurt am Main"), "frankfurt am main");
        assert_eq!(normalize("U.K."), "u k");
        assert_eq!(normalize("Москва"), "москва");
        assert_eq!(normalize(" ,. "), "");
        assert_eq!(normalize("Val-d'Or"), "val dor");
    }
}
