//! A loaded [`Model`] as bytes: how `leadscore model build` hands a model to
//! the prebuilt scorer component, which decodes it once while it is being
//! pre-initialised and keeps it in its memory image (see `component.rs`).
//!
//! Layout: the 8-byte magic `LSTABLES`, the format version (u32, little
//! endian), the length of what follows (u64, little endian), then the model
//! in postcard, serde's compact binary format, in which every float keeps
//! its exact bits. The length comes first so that the reader allocates once.

use crate::model::Model;

/// The first bytes of every encoding.
pub const MAGIC: &[u8; 8] = b"LSTABLES";

/// Bumped whenever the encoded types change shape; a component refuses
/// tables of another version.
pub const FORMAT: u32 = 2;

/// Bytes before the body: magic, format, body length.
pub const HEADER_LEN: usize = 20;

/// Tables that cannot be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablesError(pub String);

impl std::fmt::Display for TablesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the model tables cannot be read: {}", self.0)
    }
}

impl std::error::Error for TablesError {}

/// The model's tables: header and body.
pub fn encode(model: &Model) -> Vec<u8> {
    let body = postcard::to_allocvec(model).expect("a model always serialises");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The body length a header announces (checks magic and format).
pub fn body_len(header: &[u8; HEADER_LEN]) -> Result<usize, TablesError> {
    if &header[..8] != MAGIC {
        return Err(TablesError("they do not start with LSTABLES".into()));
    }
    let format = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if format != FORMAT {
        return Err(TablesError(format!("format {format}, this component reads format {FORMAT}")));
    }
    let len = u64::from_le_bytes(header[12..20].try_into().expect("8 bytes"));
    usize::try_from(len).map_err(|_| TablesError(format!("a body of {len} bytes does not fit in memory")))
}

/// Decodes [`encode`]'s output.
pub fn decode(bytes: &[u8]) -> Result<Model, TablesError> {
    let header: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| TablesError(format!("{} bytes is shorter than the header", bytes.len())))?;
    let len = body_len(header)?;
    let body = &bytes[HEADER_LEN..];
    if body.len() != len {
        return Err(TablesError(format!("the header announces {len} bytes, {} follow", body.len())));
    }
    decode_body(body)
}

/// Decodes the body alone (after [`body_len`]).
pub fn decode_body(body: &[u8]) -> Result<Model, TablesError> {
    let (model, rest) = postcard::take_from_bytes(body).map_err(|e| TablesError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(TablesError(format!("{} bytes left over", rest.len())));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v12() -> Model {
        crate::load::model_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/v12")).unwrap()
    }

    #[test]
    fn a_model_comes_back_bit_for_bit() {
        let model = v12();
        let bytes = encode(&model);
        assert_eq!(&bytes[..8], MAGIC);
        assert_eq!(decode(&bytes).unwrap(), model);
    }

    #[test]
    fn damaged_tables_are_refused() {
        let bytes = encode(&v12());
        assert!(decode(&bytes[..10]).unwrap_err().0.contains("shorter than the header"));
        assert!(decode(&bytes[..bytes.len() - 1]).unwrap_err().0.contains("follow"));
        let mut other = bytes.clone();
        other[8] = 9;
        assert!(decode(&other).unwrap_err().0.contains("format 9"));
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert!(decode(&wrong).unwrap_err().0.contains("LSTABLES"));
    }
}
