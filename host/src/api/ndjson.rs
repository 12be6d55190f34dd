//! NDJSON read as it streams in: bytes in chunks of any size, lines out,
//! never more than one line (up to a limit) held in memory. A line longer
//! than the limit is not kept: it comes out as [`Line::TooLong`] with its
//! length, so that its reader can refuse it and go on with the next.

/// One line of the stream (without its `\n`).
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line within the limit.
    Text(Vec<u8>),
    /// A line past the limit: its length in bytes.
    TooLong(usize),
}

/// Splits a byte stream into lines.
#[derive(Debug)]
pub struct Lines {
    max_bytes: usize,
    /// The current line so far.
    pending: Vec<u8>,
    /// Bytes of a current line already past the limit (its bytes are dropped).
    skipped: Option<usize>,
}

impl Lines {
    /// Lines of at most `max_bytes` kept whole.
    pub fn new(max_bytes: usize) -> Lines {
        Lines { max_bytes, pending: Vec::new(), skipped: None }
    }

    /// The lines `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.add(&rest[..end]);
            lines.push(self.take());
            rest = &rest[end + 1..];
        }
        self.add(rest);
        lines
    }

    /// The last line, when the stream does not end with `\n`.
    pub fn finish(mut self) -> Option<Line> {
        (self.skipped.is_some() || !self.pending.is_empty()).then(|| self.take())
    }

    fn add(&mut self, bytes: &[u8]) {
        match &mut self.skipped {
            Some(skipped) => *skipped += bytes.len(),
            None if self.pending.len() + bytes.len() > self.max_bytes => {
                self.skipped = Some(self.pending.len() + bytes.len());
                self.pending = Vec::new();
            }
            None => self.pending.extend_from_slice(bytes),
        }
    }

    fn take(&mut self) -> Line {
        match self.skipped.take() {
            Some(bytes) => Line::TooLong(bytes),
            None => Line::Text(std::mem::take(&mut self.pending)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Line, Lines};

    fn text(s: &str) -> Line {
        Line::Text(s.as_bytes().to_vec())
    }

    #[test]
    fn lines_split_across_chunks_come_out_whole_and_long_ones_are_measured_not_kept() {
        let mut lines = Lines::new(5);
        assert_eq!(lines.push(b"ab"), []);
        assert_eq!(lines.push(b"c\n\nde"), [text("abc"), text("")]);
        assert_eq!(lines.push(b"fgh"), [], "past the limit: dropped as it comes");
        assert_eq!(lines.push(b"ij\nk\n"), [Line::TooLong(7), text("k")]);
        assert_eq!(lines.push(b"12345\n123456"), [text("12345")]);
        assert_eq!(lines.finish(), Some(Line::TooLong(6)));
        let mut lines = Lines::new(5);
        assert_eq!(lines.push(b"x\n"), [text("x")]);
        assert_eq!(lines.finish(), None, "a stream that ends with a newline has no line after it");
    }
}
