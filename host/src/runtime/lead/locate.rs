//! Finding one's way in lead JSON text that does not read: which field a
//! byte of it belongs to, and the lead's id. Both work on raw bytes and put
//! up with anything — bytes that are not UTF-8, lone surrogate escapes, a
//! line cut short, a line too long to parse — since those are the texts
//! they are needed for (`leadscore score`'s error lines, a batch's errors).

use std::ops::Range;

/// An open object or array on the way down to the current token.
enum Frame {
    /// An object; `key` is the key of the member being read, once read.
    Object { key: Option<String>, expecting_key: bool },
    /// An array, at its `index`-th element.
    Array { index: usize },
}

/// What a token is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    /// An object's key (a string).
    Key,
    /// A value: a string, a number, `true`, `false`, `null` — or anything
    /// else that is no punctuation.
    Value,
    /// `{`, `}`, `[`, `]`, `,` or `:`.
    Punctuation,
}

/// A forgiving tokenizer: JSON's structure, whatever the bytes in between.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    stack: Vec<Frame>,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Scanner<'a> {
        Scanner { bytes, pos: 0, stack: Vec::new() }
    }

    /// The next token and its bytes; after a key, its frame names it.
    fn next(&mut self) -> Option<(Token, Range<usize>)> {
        let bytes = self.bytes;
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let byte = *bytes.get(start)?;
        self.pos += 1;
        let token = match byte {
            b'"' => {
                while self.pos < bytes.len() && bytes[self.pos] != b'"' {
                    self.pos += if bytes[self.pos] == b'\\' { 2 } else { 1 };
                }
                self.pos = (self.pos + 1).min(bytes.len());
                match self.stack.last_mut() {
                    Some(Frame::Object { key, expecting_key }) if *expecting_key => {
                        *key = Some(decode(&bytes[start..self.pos]));
                        *expecting_key = false;
                        Token::Key
                    }
                    _ => Token::Value,
                }
            }
            b'{' => {
                self.stack.push(Frame::Object { key: None, expecting_key: true });
                Token::Punctuation
            }
            b'[' => {
                self.stack.push(Frame::Array { index: 0 });
                Token::Punctuation
            }
            b'}' | b']' => {
                self.stack.pop();
                Token::Punctuation
            }
            b',' => {
                match self.stack.last_mut() {
                    Some(Frame::Object { key, expecting_key }) => (*key, *expecting_key) = (None, true),
                    Some(Frame::Array { index }) => *index += 1,
                    None => {}
                }
                Token::Punctuation
            }
            b':' => Token::Punctuation,
            _ => {
                while self.pos < bytes.len()
                    && !bytes[self.pos].is_ascii_whitespace()
                    && !b"{}[],:\"".contains(&bytes[self.pos])
                {
                    self.pos += 1;
                }
                Token::Value
            }
        };
        Some((token, start..self.pos))
    }

    /// The path of the current position, as the lead reader names fields
    /// (`fields.name`, `activities[2].page`); empty outside every member.
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Object { key: Some(key), .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out += key;
                }
                Frame::Object { key: None, .. } => break,
                Frame::Array { index } => out += &format!("[{index}]"),
            }
        }
        out
    }
}

/// A JSON string's text: its value when it is a valid JSON string, its bytes
/// (quotes off, anything not UTF-8 replaced) otherwise.
fn decode(quoted: &[u8]) -> String {
    serde_json::from_slice(quoted).unwrap_or_else(|_| {
        let inner = quoted.strip_prefix(b"\"").unwrap_or(quoted);
        String::from_utf8_lossy(inner.strip_suffix(b"\"").unwrap_or(inner)).into_owned()
    })
}

/// The field (`fields.name`, `activities[2].page`, `id`) that byte `at` of
/// a lead's JSON text belongs to, with the range of the token holding it
/// (empty between tokens); `None` outside every field.
pub fn field_at(bytes: &[u8], at: usize) -> Option<(String, Range<usize>)> {
    let mut scanner = Scanner::new(bytes);
    let found = loop {
        let Some((_, range)) = scanner.next() else { break at..at };
        if range.contains(&at) {
            break range;
        }
        if range.start > at {
            break at..at;
        }
    };
    Some(scanner.path()).filter(|p| !p.is_empty()).map(|p| (p, found))
}

/// The lead's `id`, if its text has one that reads as a string at the top
/// of the object — whatever is wrong elsewhere in the line, and even from
/// the beginning of a line that is cut short.
pub fn lead_id(bytes: &[u8]) -> Option<String> {
    let mut scanner = Scanner::new(bytes);
    while let Some((token, range)) = scanner.next() {
        let at_top = matches!(scanner.stack.as_slice(), [Frame::Object { key: Some(key), .. }] if key == "id");
        if token == Token::Value && at_top {
            return serde_json::from_slice(&bytes[range]).ok();
        }
    }
    None
}

/// The first `\uXXXX` escape of a string token that is half of a UTF-16
/// surrogate pair without its other half (an emoji cut in two), which no
/// JSON reader can turn into text.
pub fn lone_surrogate(token: &[u8]) -> Option<String> {
    let escape = |i: usize| -> Option<u16> {
        let hex = token.get(i..i + 6)?.strip_prefix(b"\\u")?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut i = 0;
    while i < token.len() {
        if token[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape(i) {
            Some(high @ 0xD800..=0xDBFF) => match escape(i + 6) {
                Some(0xDC00..=0xDFFF) => i += 12,
                _ => return Some(format!("\\u{high:04x}")),
            },
            Some(low @ 0xDC00..=0xDFFF) => return Some(format!("\\u{low:04x}")),
            Some(_) => i += 6,
            None => i += 2,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lead with a Latin-1 byte in `fields.name` and a lone surrogate in
    /// `activities[1].page`.
    fn lead() -> Vec<u8> {
        let mut text = br#"{"id": "x-1", "as_of": "2026-10-01T12:00:00Z", "fields": {"name": "Zo"#.to_vec();
        text.push(0xEB);
        text.extend_from_slice(
            br#"", "n": 1}, "activities": [{"kind": "a"}, {"kind": "page_view", "page": "/\ud83d"}]}"#,
        );
        text
    }

    fn field(needle: &[u8]) -> String {
        let lead = lead();
        let at = lead.windows(needle.len()).position(|w| w == needle).unwrap();
        field_at(&lead, at).unwrap().0
    }

    #[test]
    fn a_byte_is_placed_in_its_field() {
        assert_eq!(field(b"\xeb"), "fields.name");
        assert_eq!(field(b"x-1"), "id");
        assert_eq!(field(b"1}"), "fields.n");
        assert_eq!(field(b"\"page\""), "activities[1].page");
        assert_eq!(field(br"/\ud83d"), "activities[1].page");
        assert_eq!(field_at(&lead(), 0), None, "the opening brace is in no field");
        assert_eq!(field_at(b"not json at all", 3), None);
        let cut = br#"{"id": "y", "activities": [{"kind": "page_view", "at": "2026-"#;
        assert_eq!(field_at(cut, cut.len()).unwrap().0, "activities[0].at");
    }

    #[test]
    fn the_id_is_read_whatever_is_wrong_elsewhere() {
        assert_eq!(lead_id(&lead()).as_deref(), Some("x-1"));
        assert_eq!(lead_id(br#"{"fields": {"id": "inner"}, "id": "outer", "#).as_deref(), Some("outer"));
        assert_eq!(lead_id(b"{\"id\": \"caf\xe9\"}"), None, "an id that is not UTF-8 is not guessed at");
        assert_eq!(lead_id(br#"{"id": "half \ud83d"}"#), None, "nor one with a lone surrogate");
        assert_eq!(lead_id(br#"{"id": 7}"#), None);
        assert_eq!(lead_id(b"not json at all"), None);
        assert_eq!(lead_id(br#"[{"id": "in-array"}]"#), None);
    }

    #[test]
    fn lone_surrogates_are_found_and_pairs_are_not() {
        assert_eq!(lone_surrogate(br#""a \ud83d""#).as_deref(), Some("\\ud83d"));
        assert_eq!(lone_surrogate(br#""\ude00 b""#).as_deref(), Some("\\ude00"));
        assert_eq!(lone_surrogate(br#""\ud83d\ude80 \\ud83d \u00e9""#), None);
    }
}
