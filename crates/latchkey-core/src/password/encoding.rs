//! Byte-string decoding shared by the hash importers: lenient base64, hex-or-base64
//! digests, PHC `B64`, and a serde adapter that stores bytes as lowercase hex.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes base64 in the standard or URL-safe alphabet, padded or not.
///
/// The two alphabets differ only in `+/` versus `-_`, so accepting both never makes
/// one input mean two different byte strings.
pub(crate) fn decode_base64(value: &str) -> Option<Vec<u8>> {
    STANDARD_ANY_PAD
        .decode(value)
        .or_else(|_| URL_SAFE_ANY_PAD.decode(value))
        .ok()
}

/// Decodes the PHC string format's `B64` (standard alphabet, padding tolerated).
pub(crate) fn decode_phc_b64(value: &str) -> Option<Vec<u8>> {
    STANDARD_ANY_PAD.decode(value).ok()
}

/// Decodes a fixed-size digest given as hex (either case) or base64.
///
/// A digest of `len` bytes is `2 * len` hex characters, which is never the length of
/// its base64 form, so the two encodings cannot be confused.
pub(crate) fn decode_digest(value: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = if value.len() == 2 * len {
        hex::decode(value).ok()?
    } else {
        decode_base64(value)?
    };
    (bytes.len() == len).then_some(bytes)
}

/// Serde adapter: `Vec<u8>` as a lowercase hex string, for storage JSON.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_both_alphabets_and_paddings() {
        let want = vec![0xfb, 0xff, 0xbf];
        assert_eq!(decode_base64("+/+/"), Some(want.clone()));
        assert_eq!(decode_base64("-_-_"), Some(want));
        assert_eq!(decode_base64("TmFDbA=="), Some(b"NaCl".to_vec()));
        assert_eq!(decode_base64("TmFDbA"), Some(b"NaCl".to_vec()));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn digest_hex_or_base64_with_exact_length() {
        let md5_abc = "900150983cd24fb0d6963f7d28e17f72";
        let bytes = hex::decode(md5_abc).unwrap_or_default();
        assert_eq!(decode_digest(md5_abc, 16), Some(bytes.clone()));
        assert_eq!(
            decode_digest(&md5_abc.to_uppercase(), 16),
            Some(bytes.clone())
        );
        assert_eq!(decode_digest("kAFQmDzST7DWlj99KOF/cg==", 16), Some(bytes));
        assert_eq!(decode_digest("900150983cd24fb0d6963f7d28e17f", 16), None);
        assert_eq!(decode_digest(md5_abc, 20), None);
    }
}
