//! How `ImportedHash::parse` (bcrypt, digests, pbkdf_2, phpass) and `from_storage_json`
//! refuse input, each with the Stytch `error_type` it maps to and a check that the
//! message names the problem; plus the wire and storage shapes.

use super::migrate::Pbkdf2Config;
use super::migrate_tests::{b64_of_hex, check, parse, SCRYPT_RFC_1};
use super::{ImportedHash, MigrateConfigs, PasswordError};

/// Parses, expects an error, checks its Stytch error type and that its message
/// contains `mentions`.
pub(super) fn refuse(
    hash_type: &str,
    hash: &str,
    configs: &MigrateConfigs,
    error_type: &str,
    mentions: &str,
) {
    match ImportedHash::parse(hash_type, hash, configs) {
        Ok(parsed) => unreachable!("{hash_type} {hash} parsed: {parsed:?}"),
        Err(e) => {
            assert_eq!(e.stytch_error_type(), error_type, "{hash_type} {hash}: {e}");
            assert!(
                e.to_string().contains(mentions),
                "`{e}` should mention `{mentions}`"
            );
        }
    }
}

pub(super) const NONE: MigrateConfigs = MigrateConfigs {
    md_5_config: None,
    sha_1_config: None,
    sha_512_config: None,
    argon_2_config: None,
    scrypt_config: None,
    pbkdf_2_config: None,
};

#[test]
fn hash_type_and_empty_hash() {
    refuse("md5", "x", &NONE, "invalid_hash_type", "`md5`");
    refuse("BCRYPT", "x", &NONE, "invalid_hash_type", "argon_2id");
    refuse("bcrypt", "", &NONE, "invalid_bcrypt_hash", "empty");
}

#[test]
fn salted_digest_errors() {
    refuse(
        "md_5",
        "zz0150983cd24fb0d6963f7d28e17f72",
        &NONE,
        "invalid_md_5_hash",
        "32 hex",
    );
    refuse(
        "md_5",
        "900150983cd24fb0d6963f7d28e17f",
        &NONE,
        "invalid_md_5_hash",
        "`hash`",
    );
    refuse(
        "sha_1",
        "900150983cd24fb0d6963f7d28e17f72",
        &NONE,
        "invalid_sha_1_hash",
        "40 hex",
    );
    refuse("sha_512", "$6$salt$abc", &NONE, "invalid_hash", "128 hex");
}

#[test]
fn bcrypt_errors() {
    let good = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
    refuse(
        "bcrypt",
        &good.replace("$2b$", "$2z$"),
        &NONE,
        "invalid_bcrypt_hash",
        "$2y$",
    );
    refuse(
        "bcrypt",
        &good.replace("$2b$", "$2x$"),
        &NONE,
        "invalid_bcrypt_hash",
        "reset",
    );
    refuse(
        "bcrypt",
        &good[..59],
        &NONE,
        "invalid_bcrypt_hash",
        "60 characters",
    );
    refuse(
        "bcrypt",
        &good.replace("$04$", "$03$"),
        &NONE,
        "invalid_bcrypt_cost",
        "cost 3",
    );
    refuse(
        "bcrypt",
        &good.replace("$04$", "$32$"),
        &NONE,
        "invalid_bcrypt_cost",
        "4..=31",
    );
    refuse(
        "bcrypt",
        &good.replace("$04$", "$0a$"),
        &NONE,
        "invalid_bcrypt_hash",
        "cost",
    );
    refuse(
        "bcrypt",
        &good.replace("cVWp", "c!Wp"),
        &NONE,
        "invalid_bcrypt_hash",
        "malformed",
    );
}

fn pbkdf2(salt: &str, iterations: i64, len: i64, algorithm: &str) -> MigrateConfigs {
    MigrateConfigs {
        pbkdf_2_config: Some(Pbkdf2Config {
            salt: salt.to_owned(),
            iteration_amount: iterations,
            key_length: len,
            algorithm: algorithm.to_owned(),
        }),
        ..MigrateConfigs::default()
    }
}

#[test]
fn pbkdf2_errors() {
    let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; // 32 bytes
    refuse("pbkdf_2", hash, &NONE, "invalid_hash", "pbkdf_2_config");
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("c2FsdA==", 1, 32, "md5"),
        "invalid_hash",
        "`md5`",
    );
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("c2FsdA==", 0, 32, ""),
        "invalid_pbkdf_2_iteration_amount",
        "got 0",
    );
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("c2FsdA==", 20_000_000, 32, ""),
        "invalid_pbkdf_2_iteration_amount",
        "10000000",
    );
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("not base64!", 1, 32, ""),
        "invalid_pbkdf_2_salt",
        "base64",
    );
    refuse(
        "pbkdf_2",
        "not base64!",
        &pbkdf2("c2FsdA==", 1, 32, ""),
        "invalid_pbkdf_2_hash",
        "base64",
    );
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("c2FsdA==", 1, 20, ""),
        "pbkdf_2_key_length_mismatch",
        "20",
    );
    refuse(
        "pbkdf_2",
        hash,
        &pbkdf2("c2FsdA==", 1, 0, ""),
        "invalid_hash",
        "key_length",
    );
}

#[test]
fn phpass_errors() {
    refuse(
        "phpass",
        "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq",
        &NONE,
        "invalid_phpass_hash_prefix",
        "bcrypt",
    );
    refuse(
        "phpass",
        "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r",
        &NONE,
        "invalid_hash",
        "34",
    );
}

#[test]
fn storage_rejects_tampered_or_foreign_json() {
    let cases = [
        "not json",
        r#"{"hash_type":"md_6","digest":"00"}"#,
        r#"{"hash_type":"md_5","prepend_salt":"","append_salt":"","digest":"00"}"#,
        r#"{"hash_type":"md_5","prepend_salt":"","append_salt":"","digest":"zz"}"#,
        r#"{"hash_type":"scrypt","log_n":40,"r":1,"p":1,"salt":"","hash":"00"}"#,
        r#"{"hash_type":"bcrypt","hash":"$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"}"#,
        r#"{"hash_type":"phpass","marker":"P","count_log2":31,"salt":"IQRaTwmf","checksum":"eRo7ud9Fh4E2PdI0S3r.L0"}"#,
        r#"{"hash_type":"pbkdf_2","algorithm":"sha256","iterations":0,"salt":"","hash":"00"}"#,
        r#"{"hash_type":"argon_2id","version":19,"memory_kib":256,"iterations":2,"parallelism":1,"salt":"00","hash":"0000"}"#,
    ];
    for json in cases {
        assert!(
            matches!(
                ImportedHash::from_storage_json(json),
                Err(PasswordError::Storage(_))
            ),
            "{json}"
        );
    }
}

#[test]
fn configs_deserialize_from_the_wire_shape() {
    let body = serde_json::json!({
        "md_5_config": {"prepend_salt": "a", "append_salt": ""},
        "scrypt_config": {"salt": "", "n_parameter": 16, "r_parameter": 1, "p_parameter": 1, "key_length": 64},
        "pbkdf_2_config": null
    });
    let configs: MigrateConfigs = serde_json::from_value(body).unwrap();
    assert_eq!(
        configs
            .md_5_config
            .as_ref()
            .map(|c| c.prepend_salt.as_str()),
        Some("a")
    );
    assert!(configs.pbkdf_2_config.is_none() && configs.argon_2_config.is_none());
    check(&parse("scrypt", &b64_of_hex(SCRYPT_RFC_1), &configs), "");
}

#[test]
fn storage_json_is_tagged_with_stytch_hash_type() {
    let imported = parse(
        "md_5",
        "900150983cd24fb0d6963f7d28e17f72",
        &MigrateConfigs::default(),
    );
    let json: serde_json::Value =
        serde_json::from_str(&imported.to_storage_json().unwrap_or_default()).unwrap();
    assert_eq!(json["hash_type"], "md_5");
    assert_eq!(json["digest"], "900150983cd24fb0d6963f7d28e17f72");
}
