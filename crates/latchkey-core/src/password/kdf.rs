//! Imported memory-hard hashes: Argon2 (PHC string or raw hex + `argon_2_config`) and
//! scrypt (PHC string or base64 + `scrypt_config`), normalised to typed parameters.

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::digests::{int_in, MAX_KEY_LENGTH};
use super::encoding::{decode_base64, decode_phc_b64, hex_bytes};
use super::error::{HashType, PasswordError};

/// Largest Argon2 memory cost accepted on import: 1 GiB, in KiB.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;
/// Largest Argon2 time cost accepted on import.
pub const MAX_ARGON2_ITERATIONS: u32 = 100;
/// Largest Argon2 parallelism accepted on import.
pub const MAX_ARGON2_THREADS: u32 = 64;
/// Stytch's documented scrypt ceiling: N must be below 262,145, i.e. at most 2^18.
pub const MAX_SCRYPT_LOG_N: u8 = 18;
/// Largest scrypt memory (128 * N * r bytes) accepted on import: 1 GiB.
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 1 << 30;
/// Largest scrypt parallelism accepted on import.
pub const MAX_SCRYPT_P: u32 = 64;

/// A parsed Argon2 (`argon2i` or `argon2id`) hash; the variant is carried by the
/// `ImportedHash` variant around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Hash {
    /// 16 (`0x10`) or 19 (`0x13`).
    pub version: u32,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    #[serde(with = "hex_bytes")]
    pub salt: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

/// Raw-form inputs from `argon_2_config`, already taken off the wire.
#[derive(Debug, Clone, Copy)]
pub struct Argon2RawParams<'a> {
    pub salt: &'a str,
    pub iteration_amount: i64,
    pub memory: i64,
    pub threads: i64,
    pub key_length: i64,
}

fn algorithm_for(hash_type: HashType) -> Algorithm {
    match hash_type {
        HashType::Argon2i => Algorithm::Argon2i,
        _ => Algorithm::Argon2id,
    }
}

fn invalid(hash_type: HashType, reason: impl Into<String>) -> PasswordError {
    PasswordError::InvalidHash {
        hash_type,
        reason: reason.into(),
    }
}

impl Argon2Hash {
    /// Parses a PHC string such as `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`.
    ///
    /// A missing `v=` means version 16 (0x10), as in the reference implementation.
    pub fn parse_phc(hash_type: HashType, hash: &str) -> Result<Argon2Hash, PasswordError> {
        let phc = PasswordHash::new(hash).map_err(|e| invalid(hash_type, format!("{e}")))?;
        let ident = phc.algorithm.as_str();
        let expected = if hash_type == HashType::Argon2i {
            "argon2i"
        } else {
            "argon2id"
        };
        if ident != expected {
            return Err(match ident {
                "argon2i" | "argon2id" => PasswordError::VariantMismatch {
                    hash_type,
                    found: ident.to_owned(),
                    expected: if ident == "argon2i" {
                        "argon_2i"
                    } else {
                        "argon_2id"
                    },
                },
                _ => invalid(hash_type, format!("expected a `${expected}$` PHC string, got `${ident}$` (argon2d is not supported)")),
            });
        }
        let mut parsed = Argon2Hash {
            version: phc.version.unwrap_or(0x10),
            memory_kib: 0,
            iterations: 0,
            parallelism: 0,
            salt: Vec::new(),
            hash: Vec::new(),
        };
        for (name, value) in phc.params.iter() {
            let number = value
                .decimal()
                .map_err(|_| invalid(hash_type, format!("parameter `{name}` is not a number")))?;
            match name.as_str() {
                "m" => parsed.memory_kib = number,
                "t" => parsed.iterations = number,
                "p" => parsed.parallelism = number,
                other => {
                    return Err(invalid(
                        hash_type,
                        format!("unsupported PHC parameter `{other}` (only m, t and p)"),
                    ))
                }
            }
        }
        let salt = phc
            .salt
            .ok_or_else(|| invalid(hash_type, "the PHC string has no salt"))?;
        parsed.salt = decode_phc_b64(salt.as_str())
            .ok_or_else(|| invalid(hash_type, "the PHC salt is not valid B64"))?;
        parsed.hash = phc
            .hash
            .ok_or_else(|| invalid(hash_type, "the PHC string has no hash"))?
            .as_bytes()
            .to_vec();
        parsed.validate(hash_type)?;
        Ok(parsed)
    }

    /// Parses the raw form: `hash` in hex plus `argon_2_config`. The config salt is
    /// taken as the literal UTF-8 bytes of the string; the version is 0x13.
    pub fn parse_raw(
        hash_type: HashType,
        hash: &str,
        config: Argon2RawParams<'_>,
    ) -> Result<Argon2Hash, PasswordError> {
        let bytes = hex::decode(hash).map_err(|_| PasswordError::BadEncoding {
            hash_type,
            field: "hash",
            expected: "hex (the raw argon2 form; send a `$argon2...$` PHC string otherwise)",
        })?;
        let parsed = Argon2Hash {
            version: 0x13,
            memory_kib: int_in(
                hash_type,
                "argon_2_config.memory",
                config.memory,
                8,
                MAX_ARGON2_MEMORY_KIB,
            )?,
            iterations: int_in(
                hash_type,
                "argon_2_config.iteration_amount",
                config.iteration_amount,
                1,
                MAX_ARGON2_ITERATIONS,
            )?,
            parallelism: int_in(
                hash_type,
                "argon_2_config.threads",
                config.threads,
                1,
                MAX_ARGON2_THREADS,
            )?,
            salt: config.salt.as_bytes().to_vec(),
            hash: bytes,
        };
        if usize::try_from(config.key_length).ok() != Some(parsed.hash.len()) {
            return Err(PasswordError::KeyLengthMismatch {
                hash_type,
                field: "argon_2_config.key_length",
                key_length: config.key_length,
                actual: parsed.hash.len(),
            });
        }
        parsed.validate(hash_type)?;
        Ok(parsed)
    }

    /// Checks every parameter against Argon2's rules and our import ceilings.
    pub fn validate(&self, hash_type: HashType) -> Result<(), PasswordError> {
        if Version::try_from(self.version).is_err() {
            return Err(invalid(
                hash_type,
                format!("version {} is not 16 or 19", self.version),
            ));
        }
        if self.salt.len() < 8 {
            return Err(PasswordError::InvalidParameter {
                hash_type,
                field: "argon_2_config.salt",
                reason: format!(
                    "must be at least 8 bytes (Argon2's minimum), got {}",
                    self.salt.len()
                ),
            });
        }
        let limits = [
            ("m (memory)", self.memory_kib, MAX_ARGON2_MEMORY_KIB),
            ("t (iterations)", self.iterations, MAX_ARGON2_ITERATIONS),
            ("p (threads)", self.parallelism, MAX_ARGON2_THREADS),
        ];
        for (name, value, max) in limits {
            if value > max {
                return Err(invalid(
                    hash_type,
                    format!("{name} is {value}, above latchkey's import limit {max}"),
                ));
            }
        }
        self.params(hash_type).map(|_| ())
    }

    fn params(&self, hash_type: HashType) -> Result<Params, PasswordError> {
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(self.hash.len()),
        )
        .map_err(|e| invalid(hash_type, format!("argon2 parameters rejected: {e}")))
    }

    /// Recomputes the tag and compares in constant time.
    pub fn verify(&self, hash_type: HashType, password: &str) -> bool {
        let (Ok(params), Ok(version)) = (self.params(hash_type), Version::try_from(self.version))
        else {
            return false;
        };
        let ctx = Argon2::new(algorithm_for(hash_type), version, params);
        let mut out = vec![0u8; self.hash.len()];
        if ctx
            .hash_password_into(password.as_bytes(), &self.salt, &mut out)
            .is_err()
        {
            return false;
        }
        out.ct_eq(&self.hash).into()
    }
}

/// A parsed scrypt hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScryptHash {
    /// N = 2^log_n.
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    #[serde(with = "hex_bytes")]
    pub salt: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

/// Inputs from `scrypt_config`, already taken off the wire.
#[derive(Debug, Clone, Copy)]
pub struct ScryptRawParams<'a> {
    pub salt: &'a str,
    pub n_parameter: i64,
    pub r_parameter: i64,
    pub p_parameter: i64,
    pub key_length: i64,
}

impl ScryptHash {
    /// Parses `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt B64>$<hash B64>`.
    pub fn parse_phc(hash: &str) -> Result<ScryptHash, PasswordError> {
        const T: HashType = HashType::Scrypt;
        let phc = PasswordHash::new(hash).map_err(|e| invalid(T, format!("{e}")))?;
        if phc.algorithm.as_str() != "scrypt" {
            return Err(invalid(T, "expected a `$scrypt$` PHC string"));
        }
        let param = |name: &str| -> Result<u32, PasswordError> {
            phc.params
                .get_decimal(name)
                .ok_or_else(|| invalid(T, format!("the PHC string lacks a numeric `{name}=`")))
        };
        let log_n = u8::try_from(param("ln")?).map_err(|_| invalid(T, "`ln` is too large"))?;
        let (r, p) = (param("r")?, param("p")?);
        let salt = phc
            .salt
            .ok_or_else(|| invalid(T, "the PHC string has no salt"))?;
        let parsed = ScryptHash {
            log_n,
            r,
            p,
            salt: decode_phc_b64(salt.as_str())
                .ok_or_else(|| invalid(T, "the PHC salt is not valid B64"))?,
            hash: phc
                .hash
                .ok_or_else(|| invalid(T, "the PHC string has no hash"))?
                .as_bytes()
                .to_vec(),
        };
        parsed.validate()?;
        Ok(parsed)
    }

    /// Parses base64 `hash` with `scrypt_config` (base64 salt, N a power of two).
    pub fn parse_raw(hash: &str, config: ScryptRawParams<'_>) -> Result<ScryptHash, PasswordError> {
        const T: HashType = HashType::Scrypt;
        let hash = decode_base64(hash).ok_or(PasswordError::BadEncoding {
            hash_type: T,
            field: "hash",
            expected: "base64 (Stytch requires scrypt hashes in base64 unless PHC-encoded)",
        })?;
        let salt = decode_base64(config.salt).ok_or(PasswordError::BadEncoding {
            hash_type: T,
            field: "scrypt_config.salt",
            expected: "base64",
        })?;
        let n = config.n_parameter;
        let log_n = u64::try_from(n)
            .ok()
            .filter(|n| n.is_power_of_two() && *n >= 2 && *n <= 1 << MAX_SCRYPT_LOG_N)
            .and_then(|n| u8::try_from(n.trailing_zeros()).ok())
            .ok_or_else(|| PasswordError::InvalidParameter {
                hash_type: T,
                field: "scrypt_config.n_parameter",
                reason: format!("must be a power of two from 2 to 262144, got {n}"),
            })?;
        let parsed = ScryptHash {
            log_n,
            r: int_in(T, "scrypt_config.r_parameter", config.r_parameter, 1, 1024)?,
            p: int_in(
                T,
                "scrypt_config.p_parameter",
                config.p_parameter,
                1,
                MAX_SCRYPT_P,
            )?,
            salt,
            hash,
        };
        if usize::try_from(config.key_length).ok() != Some(parsed.hash.len()) {
            return Err(PasswordError::KeyLengthMismatch {
                hash_type: T,
                field: "scrypt_config.key_length",
                key_length: config.key_length,
                actual: parsed.hash.len(),
            });
        }
        parsed.validate()?;
        Ok(parsed)
    }

    /// Checks scrypt's own rules and our import ceilings.
    pub fn validate(&self) -> Result<(), PasswordError> {
        const T: HashType = HashType::Scrypt;
        if self.log_n == 0 || self.log_n > MAX_SCRYPT_LOG_N {
            return Err(invalid(
                T,
                format!("N = 2^{} is outside 2..=262144", self.log_n),
            ));
        }
        let memory = 128u64
            .saturating_mul(1u64 << self.log_n)
            .saturating_mul(u64::from(self.r));
        if memory > MAX_SCRYPT_MEMORY_BYTES || self.p > MAX_SCRYPT_P {
            return Err(invalid(
                T,
                format!(
                    "N={}, r={}, p={} exceeds latchkey's import limit (128*N*r <= 1 GiB, p <= {MAX_SCRYPT_P})",
                    1u64 << self.log_n,
                    self.r,
                    self.p
                ),
            ));
        }
        let len = self.hash.len();
        if len == 0 || len > MAX_KEY_LENGTH as usize {
            return Err(invalid(T, format!("hash is {len} bytes")));
        }
        self.params().map(|_| ())
    }

    fn params(&self) -> Result<scrypt::Params, PasswordError> {
        // The output length is set by the buffer; `len` here only has to be in range.
        scrypt::Params::new(self.log_n, self.r, self.p, scrypt::Params::RECOMMENDED_LEN)
            .map_err(|e| invalid(HashType::Scrypt, format!("scrypt parameters rejected: {e}")))
    }

    /// Re-derives the key and compares in constant time.
    pub fn verify(&self, password: &str) -> bool {
        let Ok(params) = self.params() else {
            return false;
        };
        let mut out = vec![0u8; self.hash.len()];
        if scrypt::scrypt(password.as_bytes(), &self.salt, &params, &mut out).is_err() {
            return false;
        }
        out.ct_eq(&self.hash).into()
    }
}
