//! Text that comes from outside — a request, a submission, a module — before anyone
//! stores, renders or prints it.
//!
//! Every text field has a maximum length and refuses what no honest value contains: NUL
//! and other control characters (which break the SVG label's XML and a terminal), Unicode
//! non-characters, and the bidirectional controls that let `ABC` display as `CBA` (one
//! enterprise's name shown as another's). Paragraphs (notes) may hold line breaks and
//! tabs; every other field is one line.
//!
//! [`printable`] is the other direction: text a module wrote, made safe to print on a
//! terminal (an escape sequence could otherwise clear the screen and draw a fake grade).

use std::{borrow::Cow, fmt::Write};

/// Whether line breaks are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One line: a name, a code, a number.
    Line,
    /// Several lines: a note.
    Paragraph,
}

/// Why a text is refused, as a sentence fragment that follows the field's name.
pub fn problem(text: &str, shape: Shape, max_chars: usize) -> Option<String> {
    let chars = text.chars().count();
    if chars > max_chars {
        return Some(format!(
            "is {chars} characters long; the limit is {max_chars}"
        ));
    }
    text.chars().enumerate().find_map(|(at, c)| {
        let what = refused(c, shape)?;
        Some(format!(
            "contains {what} U+{:04X} at character {}",
            c as u32,
            at + 1
        ))
    })
}

/// What kind of character `c` is, when a field of `shape` refuses it.
fn refused(c: char, shape: Shape) -> Option<&'static str> {
    match c {
        '\n' | '\t' if shape == Shape::Paragraph => None,
        '\r' if shape == Shape::Paragraph => None,
        c if c.is_control() => Some("the control character"),
        '\u{200E}'
        | '\u{200F}'
        | '\u{061C}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some("the bidirectional control"),
        '\u{FDD0}'..='\u{FDEF}' => Some("the non-character"),
        c if (c as u32) & 0xFFFE == 0xFFFE => Some("the non-character"),
        _ => None,
    }
}

/// Whether `code` can name a catalog entry (a product, a publisher): lowercase letters,
/// digits and '-', not empty. The catalog's rules and table files hold codes to it.
pub fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `text` on one line, with every character a terminal could act on (controls, line
/// breaks, bidirectional overrides) written as `\u{…}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| refused(c, Shape::Line).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if refused(c, Shape::Line).is_some() {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_no_honest_name_contains() {
        assert_eq!(problem("波司登 Bosideng", Shape::Line, 100), None);
        for bad in [
            "a\0b",
            "a\u{1}b",
            "a\u{FFFE}",
            "a\u{202E}b",
            "a\u{7F}",
            "a\u{9B}b",
            "a\nb",
        ] {
            assert!(problem(bad, Shape::Line, 100).is_some(), "{bad:?}");
        }
        assert_eq!(
            problem("line one\nline two\tx", Shape::Paragraph, 100),
            None
        );
        assert_eq!(
            problem("x\u{202E}", Shape::Paragraph, 100).unwrap(),
            "contains the bidirectional control U+202E at character 2"
        );
        assert_eq!(
            problem(&"字".repeat(11), Shape::Line, 10).unwrap(),
            "is 11 characters long; the limit is 10"
        );
    }

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(printable("grade AAA"), "grade AAA");
        assert_eq!(
            printable("\u{1b}[2J\u{1b}[Hgrade AAAAA"),
            "\\u{001b}[2J\\u{001b}[Hgrade AAAAA"
        );
        assert_eq!(printable("a\u{202E}b"), "a\\u{202e}b");
    }
}
