//! Reads Universal Binary JSON (UBJSON, ubjson.org, draft 12), the format
//! XGBoost ≥ 1.6 writes for `save_model("model.ubj")` and ≥ 2.1 by default,
//! into a [`serde_json::Value`], so one model parser reads both formats.
//!
//! Everything XGBoost writes is read: the markers `Z N T F i U I l L d D C S
//! H`, arrays and objects with and without the optimised `$type` / `#count`
//! headers (XGBoost writes its float and integer vectors as typed arrays,
//! `[$d#L…`), numbers big-endian. An `f32` (`d`) becomes the `f64` holding
//! exactly that value, so `as f32` gives back the same bits; the non-finite
//! floats JSON lacks become the strings `"NaN"`, `"Infinity"` and
//! `"-Infinity"`, as the JSON reader sees XGBoost's non-standard tokens.

use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects accepted. XGBoost's models nest
/// about 8 levels; the reader recurses, so a bound keeps hostile input from
/// overflowing the stack. The same limit as serde_json's.
pub const MAX_DEPTH: usize = 128;

/// Why bytes are not UBJSON: what was wrong, at which byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct UbjsonError {
    /// Offset of the byte at fault from the start of the input.
    pub offset: usize,
    /// What is wrong there.
    pub message: String,
}

/// Reads one UBJSON value filling all of `bytes` (trailing no-ops `N`
/// allowed). Errors give the byte offset: truncated input, an unknown
/// marker, a count or length beyond what the remaining bytes could hold,
/// invalid UTF-8 in a string, nesting deeper than [`MAX_DEPTH`], or bytes
/// after the value.
pub fn to_value(bytes: &[u8]) -> Result<Value, UbjsonError> {
    let mut reader = Reader { bytes, at: 0 };
    let marker = reader.marker()?;
    let value = reader.value(marker, 0)?;
    while reader.at < bytes.len() && bytes[reader.at] == b'N' {
        reader.at += 1;
    }
    if reader.at != bytes.len() {
        return Err(reader.error_at(reader.at, "bytes after the end of the value"));
    }
    Ok(value)
}

/// Whether `bytes` look like a UBJSON object rather than JSON text. Both
/// start with `{`; in JSON the next byte that is not whitespace is `"` or
/// `}`, in UBJSON the byte right after `{` is a key's length marker, a `$`
/// or `#` header, or a no-op `N`.
pub fn looks_like_ubjson(bytes: &[u8]) -> bool {
    match bytes.split_first() {
        Some((b'{', rest)) => matches!(rest.first(), Some(b'i' | b'U' | b'I' | b'l' | b'L' | b'$' | b'#' | b'N')),
        _ => false,
    }
}

/// The type of a typed container's elements, from its `$` header.
type ElementType = Option<u8>;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> UbjsonError {
        UbjsonError { offset, message: message.into() }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], UbjsonError> {
        if n > self.remaining() {
            return Err(self.error_at(
                self.at,
                format!(
                    "truncated: {what} needs {n} byte{} but {} remain",
                    if n == 1 { "" } else { "s" },
                    self.remaining()
                ),
            ));
        }
        let bytes = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], UbjsonError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// The next marker, no-ops skipped.
    fn marker(&mut self) -> Result<u8, UbjsonError> {
        loop {
            let [marker] = self.array::<1>("a marker")?;
            if marker != b'N' {
                return Ok(marker);
            }
        }
    }

    /// The value of type `marker`, its payload next. `depth` counts the
    /// containers around it.
    fn value(&mut self, marker: u8, depth: usize) -> Result<Value, UbjsonError> {
        let start = self.at.saturating_sub(1);
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' => Value::from(i8::from_be_bytes(self.array("an int8")?)),
            b'U' => Value::from(u8::from_be_bytes(self.array("a uint8")?)),
            b'I' => Value::from(i16::from_be_bytes(self.array("an int16")?)),
            b'l' => Value::from(i32::from_be_bytes(self.array("an int32")?)),
            b'L' => Value::from(i64::from_be_bytes(self.array("an int64")?)),
            // f32 → f64 is exact: the JSON reader's `as f32` gets the same bits back.
            b'd' => float(f32::from_be_bytes(self.array("a float32")?) as f64),
            b'D' => float(f64::from_be_bytes(self.array("a float64")?)),
            b'C' => {
                let [c] = self.array("a char")?;
                if !c.is_ascii() {
                    return Err(self.error_at(self.at - 1, format!("char 0x{c:02x} is not ASCII")));
                }
                Value::String(char::from(c).to_string())
            }
            b'S' => Value::String(self.string()?),
            b'H' => {
                let digits = self.string()?;
                match serde_json::from_str::<Number>(&digits) {
                    Ok(number) => Value::Number(number),
                    Err(_) => {
                        return Err(self.error_at(start, format!("high-precision number {digits:?} is not a number")));
                    }
                }
            }
            b'[' | b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_at(start, format!("nested deeper than {MAX_DEPTH} arrays and objects")));
                }
                let (element, count) = self.header()?;
                if marker == b'[' {
                    Value::Array(self.elements(element, count, depth + 1)?)
                } else {
                    Value::Object(self.members(element, count, depth + 1)?)
                }
            }
            other => return Err(self.error_at(start, format!("unknown marker {}", show(other)))),
        })
    }

    /// A length (any integer marker) then that many bytes of UTF-8.
    fn string(&mut self) -> Result<String, UbjsonError> {
        let at = self.at;
        let marker = self.marker()?;
        let len = self.count(marker, at, "string length")?;
        let start = self.at;
        let bytes = self.take(len, "a string")?.to_vec();
        String::from_utf8(bytes)
            .map_err(|e| self.error_at(start + e.utf8_error().valid_up_to(), "invalid UTF-8 in a string"))
    }

    /// A non-negative integer of type `marker` (read at `at`) that cannot
    /// exceed the bytes left, since each counted thing takes at least one.
    fn count(&mut self, marker: u8, at: usize, what: &str) -> Result<usize, UbjsonError> {
        let n: i64 = match marker {
            b'i' => i8::from_be_bytes(self.array(what)?).into(),
            b'U' => u8::from_be_bytes(self.array(what)?).into(),
            b'I' => i16::from_be_bytes(self.array(what)?).into(),
            b'l' => i32::from_be_bytes(self.array(what)?).into(),
            b'L' => i64::from_be_bytes(self.array(what)?),
            other => return Err(self.error_at(at, format!("{what} must be an integer, got marker {}", show(other)))),
        };
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            Ok(_) => Err(self.error_at(at, format!("{what} {n} is more than the {} bytes left", self.remaining()))),
            Err(_) => Err(self.error_at(at, format!("{what} {n} is negative"))),
        }
    }

    /// The optional `$type` and `#count` after `[` or `{`.
    fn header(&mut self) -> Result<(ElementType, Option<usize>), UbjsonError> {
        let mut element = None;
        if self.bytes.get(self.at) == Some(&b'$') {
            self.at += 1;
            let [t] = self.array("a container's element type")?;
            if !b"ZTFiUIlLdDCSH[{".contains(&t) {
                return Err(self.error_at(self.at - 1, format!("unknown element type {}", show(t))));
            }
            element = Some(t);
            if self.bytes.get(self.at) != Some(&b'#') {
                return Err(self.error_at(self.at, "a typed container needs a # count"));
            }
        }
        if self.bytes.get(self.at) != Some(&b'#') {
            return Ok((element, None));
        }
        let at = self.at;
        self.at += 1;
        let marker = self.marker()?;
        Ok((element, Some(self.count(marker, at, "container count")?)))
    }

    /// The next element's marker: the container's type if it has one.
    fn element_marker(&mut self, element: ElementType) -> Result<u8, UbjsonError> {
        match element {
            Some(t) => Ok(t),
            None => self.marker(),
        }
    }

    fn elements(
        &mut self,
        element: ElementType,
        count: Option<usize>,
        depth: usize,
    ) -> Result<Vec<Value>, UbjsonError> {
        let mut out = Vec::new();
        match count {
            Some(n) => {
                // `n` is at most the bytes left; a typed array of fixed-size
                // numbers must hold all of their bytes too.
                let size = element.map_or(0, payload_size);
                if n.saturating_mul(size) > self.remaining() {
                    return Err(self.error_at(
                        self.at,
                        format!("truncated: {n} elements of {size} bytes but {} bytes remain", self.remaining()),
                    ));
                }
                out.reserve(n);
                for _ in 0..n {
                    let marker = self.element_marker(element)?;
                    out.push(self.value(marker, depth)?);
                }
            }
            None => loop {
                let marker = self.marker()?;
                if marker == b']' {
                    break;
                }
                out.push(self.value(marker, depth)?);
            },
        }
        Ok(out)
    }

    fn members(
        &mut self,
        element: ElementType,
        count: Option<usize>,
        depth: usize,
    ) -> Result<Map<String, Value>, UbjsonError> {
        let mut out = Map::new();
        let mut left = count;
        loop {
            match &mut left {
                Some(0) => break,
                Some(n) => *n -= 1,
                None => {
                    while self.bytes.get(self.at) == Some(&b'N') {
                        self.at += 1;
                    }
                    if self.bytes.get(self.at) == Some(&b'}') {
                        self.at += 1;
                        break;
                    }
                }
            }
            // Keys are strings without the `S` marker.
            let at = self.at;
            let key = self.string()?;
            let marker = self.element_marker(element)?;
            let value = self.value(marker, depth)?;
            if out.insert(key.clone(), value).is_some() {
                return Err(self.error_at(at, format!("key {key:?} appears twice")));
            }
        }
        Ok(out)
    }
}

/// Bytes of a number's payload of type `marker`; 0 for the rest.
fn payload_size(marker: u8) -> usize {
    match marker {
        b'i' | b'U' | b'C' => 1,
        b'I' => 2,
        b'l' | b'd' => 4,
        b'L' | b'D' => 8,
        _ => 0,
    }
}

/// A float as JSON would hold it: finite numbers as numbers, the rest as
/// the tokens XGBoost writes in its JSON.
fn float(v: f64) -> Value {
    match Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None if v.is_nan() => Value::String("NaN".into()),
        None if v > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// A marker byte for a message: the character if printable, else hex.
fn show(byte: u8) -> String {
    if byte.is_ascii_graphic() { format!("{:?}", char::from(byte)) } else { format!("0x{byte:02x}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `L`-sized string payload as XGBoost writes keys and strings.
    fn key(s: &str) -> Vec<u8> {
        let mut out = vec![b'L'];
        out.extend((s.len() as i64).to_be_bytes());
        out.extend(s.as_bytes());
        out
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn scalars_of_every_marker() {
        let cases: Vec<(Vec<u8>, Value)> = vec![
            (b"Z".to_vec(), Value::Null),
            (b"T".to_vec(), json!(true)),
            (b"F".to_vec(), json!(false)),
            (vec![b'i', 0xff], json!(-1)),
            (vec![b'U', 0xff], json!(255)),
            (cat(&[b"I", &(-300i16).to_be_bytes()]), json!(-300)),
            (cat(&[b"l", &70_000i32.to_be_bytes()]), json!(70_000)),
            (cat(&[b"L", &(-(1i64 << 40)).to_be_bytes()]), json!(-(1i64 << 40))),
            (cat(&[b"D", &0.1f64.to_be_bytes()]), json!(0.1)),
            (b"CA".to_vec(), json!("A")),
            (cat(&[b"S", &key("héllo")]), json!("héllo")),
            (cat(&[b"SU", &[2], b"ok"]), json!("ok")),
            (cat(&[b"HU", &[4], b"1e-3"]), json!(1e-3)),
            (b"NNZN".to_vec(), Value::Null),
        ];
        for (bytes, want) in cases {
            assert_eq!(to_value(&bytes), Ok(want), "{bytes:?}");
        }
    }

    #[test]
    fn float32_values_keep_their_bits() {
        for v in [0.1f32, 7.975, -2.4467e-2, f32::MIN_POSITIVE, 1e-45, f32::MAX, 1.0 / 3.0] {
            let value = to_value(&cat(&[b"d", &v.to_be_bytes()])).unwrap();
            assert_eq!((value.as_f64().unwrap() as f32).to_bits(), v.to_bits(), "{v:e}");
        }
        let token = |v: f32| to_value(&cat(&[b"d", &v.to_be_bytes()])).unwrap();
        assert_eq!(token(f32::NAN), json!("NaN"));
        assert_eq!(token(f32::INFINITY), json!("Infinity"));
        assert_eq!(token(f32::NEG_INFINITY), json!("-Infinity"));
    }

    #[test]
    fn containers_with_and_without_headers() {
        // [1, "a", [true]] unsized; {"k": 2} unsized; counted; typed.
        assert_eq!(to_value(b"[U\x01SU\x01a[T]]"), Ok(json!([1, "a", [true]])));
        assert_eq!(to_value(&cat(&[b"{", &key("k"), b"U\x02}"])), Ok(json!({"k": 2})));
        assert_eq!(to_value(b"[#U\x02U\x01i\xff"), Ok(json!([1, -1])));
        let floats = cat(&[b"[$d#L", &2i64.to_be_bytes(), &0.5f32.to_be_bytes(), &(-1.25f32).to_be_bytes()]);
        assert_eq!(to_value(&floats), Ok(json!([0.5, -1.25])));
        let ints = cat(&[b"[$l#U\x02", &7i32.to_be_bytes(), &(-1i32).to_be_bytes()]);
        assert_eq!(to_value(&ints), Ok(json!([7, -1])));
        assert_eq!(to_value(b"[$U#i\x03\x00\x01\x02"), Ok(json!([0, 1, 2])));
        assert_eq!(to_value(b"[[$T#U\x01]"), Ok(json!([[true]])));
        let typed_object = cat(&[b"{$U#U\x02", &key("a"), b"\x01", &key("b"), b"\x02"]);
        assert_eq!(to_value(&typed_object), Ok(json!({"a": 1, "b": 2})));
        let counted_object = cat(&[b"{#U\x01", &key("x"), b"[#L", &0i64.to_be_bytes()]);
        assert_eq!(to_value(&counted_object), Ok(json!({"x": []})));
        assert_eq!(to_value(b"{}"), Ok(json!({})));
        assert_eq!(to_value(b"[]"), Ok(json!([])));
    }

    #[test]
    fn malformed_input_names_the_byte() {
        let err = |bytes: &[u8]| to_value(bytes).unwrap_err();
        // Truncated: a value, a string, a typed array, an unclosed container, nothing.
        assert_eq!(err(b"l\x00\x01").offset, 1);
        assert!(err(b"l\x00\x01").message.contains("truncated: an int32 needs 4 bytes but 2 remain"));
        assert_eq!(
            err(b"SU\x05abc"),
            UbjsonError { offset: 1, message: "string length 5 is more than the 3 bytes left".into() }
        );
        let short = cat(&[b"[$d#U\x02", &1f32.to_be_bytes(), &[0, 0]]);
        assert_eq!(
            err(&short),
            UbjsonError { offset: 6, message: "truncated: 2 elements of 4 bytes but 6 bytes remain".into() }
        );
        let short = cat(&[b"[[$d#U\x01", &[0, 0, 0], b"]"]);
        // The float takes `]` as its last byte; the outer array then ends early.
        assert_eq!(
            err(&short),
            UbjsonError { offset: 11, message: "truncated: a marker needs 1 byte but 0 remain".into() }
        );
        assert!(err(b"[U\x01").message.contains("truncated"));
        assert!(err(b"").message.contains("truncated: a marker"));
        // Bad markers, in a value, a length, a type header.
        assert_eq!(err(b"[U\x01x]"), UbjsonError { offset: 3, message: "unknown marker 'x'".into() });
        assert_eq!(err(b"\x00").message, "unknown marker 0x00");
        assert!(err(b"Sd\x00\x00\x00\x00").message.contains("string length must be an integer, got marker 'd'"));
        assert!(err(b"[$q#U\x01").message.contains("unknown element type 'q'"));
        assert!(err(b"[$U\x01").message.contains("needs a # count"));
        assert!(err(b"CA\xff").message.contains("bytes after the end"));
        assert!(err(b"C\xe9").message.contains("not ASCII"));
        assert_eq!(err(b"SU\x02\xc3(").offset, 3, "invalid UTF-8 named where it starts");
        assert!(err(b"HU\x03abc").message.contains("is not a number"));
        assert!(err(&cat(&[b"{", &key("a"), b"Z", &key("a"), b"Z}"])).message.contains("key \"a\" appears twice"));
    }

    #[test]
    fn absurd_counts_are_refused_before_allocating() {
        // 2^62 floats in 9 bytes: refused by the count, never reserved.
        let huge = cat(&[b"[$d#L", &(1i64 << 62).to_be_bytes()]);
        let e = to_value(&huge).unwrap_err();
        assert_eq!(
            e,
            UbjsonError { offset: 3, message: format!("container count {} is more than the 0 bytes left", 1i64 << 62) }
        );
        let negative = cat(&[b"[#L", &(-1i64).to_be_bytes()]);
        assert!(to_value(&negative).unwrap_err().message.contains("count -1 is negative"));
        let long_string = cat(&[b"SL", &i64::MAX.to_be_bytes()]);
        assert!(to_value(&long_string).unwrap_err().message.contains("is more than the 0 bytes left"));
        // Even null elements, which take no bytes, cannot outnumber the input.
        assert!(to_value(b"[$Z#U\x05").unwrap_err().message.contains("count 5 is more than the 0 bytes left"));
    }

    #[test]
    fn nesting_is_limited() {
        let deep = |n: usize| [vec![b'['; n], vec![b']'; n]].concat();
        assert_eq!(to_value(&deep(MAX_DEPTH)).unwrap().as_array().map(Vec::len), Some(1));
        let e = to_value(&deep(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(
            e,
            UbjsonError { offset: MAX_DEPTH, message: format!("nested deeper than {MAX_DEPTH} arrays and objects") }
        );
        // A million levels: an error, not a stack overflow.
        assert!(to_value(&deep(1_000_000)).is_err());
    }

    #[test]
    fn tells_ubjson_from_json() {
        assert!(looks_like_ubjson(&cat(&[b"{", &key("learner")])));
        assert!(looks_like_ubjson(b"{U\x07learner"));
        assert!(looks_like_ubjson(b"{$U#U\x00"));
        assert!(looks_like_ubjson(b"{#U\x00"));
        for json in [&b"{\"learner\": {}}"[..], b"{ \"a\": 1}", b"{\n}", b"{}", b"[]", b"", b" {\"a\":1}"] {
            assert!(!looks_like_ubjson(json), "{}", String::from_utf8_lossy(json));
        }
    }
}
