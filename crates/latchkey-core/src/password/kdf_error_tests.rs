//! Parse errors for the memory-hard imports (argon_2i, argon_2id, scrypt), each with
//! the Stytch `error_type` it maps to and a check that the message names the problem.

use super::migrate::{Argon2Config, ScryptConfig};
use super::migrate_error_tests::{refuse, NONE};
use super::{ImportedHash, MigrateConfigs};

fn argon2(salt: &str, t: i64, m: i64, p: i64, len: i64) -> MigrateConfigs {
    MigrateConfigs {
        argon_2_config: Some(Argon2Config {
            salt: salt.to_owned(),
            iteration_amount: t,
            memory: m,
            threads: p,
            key_length: len,
        }),
        ..MigrateConfigs::default()
    }
}

#[test]
fn argon2_errors() {
    let tag = "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe";
    refuse("argon_2id", tag, &NONE, "invalid_hash", "argon_2_config");
    refuse(
        "argon_2id",
        "not-hex",
        &argon2("somesalt", 2, 256, 1, 32),
        "invalid_hash",
        "hex",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 2, 256, 1, 16),
        "invalid_hash",
        "key_length",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 0, 256, 1, 32),
        "invalid_hash",
        "iteration_amount",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 2, 0, 1, 32),
        "invalid_hash",
        "memory",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 2, 256, 0, 32),
        "invalid_hash",
        "threads",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 2, 1 << 21, 1, 32),
        "invalid_hash",
        "1048576",
    );
    refuse(
        "argon_2id",
        tag,
        &argon2("short", 2, 256, 1, 32),
        "invalid_argon_2_salt",
        "8 bytes",
    );
    // 8 threads need at least 64 KiB.
    refuse(
        "argon_2id",
        tag,
        &argon2("somesalt", 2, 16, 8, 32),
        "invalid_hash",
        "rejected",
    );

    let phc =
        "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
    refuse(
        "argon_2i",
        phc,
        &NONE,
        "invalid_hash",
        "send hash_type `argon_2id`",
    );
    refuse(
        "argon_2id",
        &phc.replace("argon2id", "argon2d"),
        &NONE,
        "invalid_hash",
        "argon2d",
    );
    refuse(
        "argon_2id",
        &phc.replace("v=19", "v=20"),
        &NONE,
        "invalid_hash",
        "",
    );
    refuse(
        "argon_2id",
        &phc.replace("m=256", "m=4194304"),
        &NONE,
        "invalid_hash",
        "import limit",
    );
    refuse(
        "argon_2id",
        &phc.replace("p=1", "p=1,keyid=AAAA"),
        &NONE,
        "invalid_hash",
        "keyid",
    );
    refuse(
        "argon_2id",
        "$argon2id$v=19$m=256,t=2,p=1",
        &NONE,
        "invalid_hash",
        "salt",
    );
    refuse("argon_2id", "$argon2id$garbage", &NONE, "invalid_hash", "");
}

fn scrypt(salt: &str, n: i64, r: i64, p: i64, len: i64) -> MigrateConfigs {
    MigrateConfigs {
        scrypt_config: Some(ScryptConfig {
            salt: salt.to_owned(),
            n_parameter: n,
            r_parameter: r,
            p_parameter: p,
            key_length: len,
        }),
        ..MigrateConfigs::default()
    }
}

#[test]
fn scrypt_errors() {
    let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; // 32 bytes
    refuse("scrypt", hash, &NONE, "invalid_hash", "scrypt_config");
    refuse(
        "scrypt",
        "@@@",
        &scrypt("", 16, 1, 1, 32),
        "invalid_base64_scrypt_hash",
        "base64",
    );
    refuse(
        "scrypt",
        hash,
        &scrypt("%%", 16, 1, 1, 32),
        "invalid_hash",
        "scrypt_config.salt",
    );
    for n in [0, 1, 1000, 524_288, -16] {
        refuse(
            "scrypt",
            hash,
            &scrypt("", n, 1, 1, 32),
            "invalid_hash",
            "power of two",
        );
    }
    refuse(
        "scrypt",
        hash,
        &scrypt("", 16, 0, 1, 32),
        "invalid_hash",
        "r_parameter",
    );
    refuse(
        "scrypt",
        hash,
        &scrypt("", 16, 1, 0, 32),
        "invalid_hash",
        "p_parameter",
    );
    refuse(
        "scrypt",
        hash,
        &scrypt("", 16, 1, 1, 64),
        "scrypt_key_length_mismatch",
        "32 bytes",
    );
    // 128 * 2^18 * 64 bytes = 2 GiB, above the import ceiling.
    refuse(
        "scrypt",
        hash,
        &scrypt("", 262_144, 64, 1, 32),
        "invalid_hash",
        "limit",
    );
    // r = 1 only allows N < 2^16 (scrypt's own N < 2^(128*r/8) rule).
    refuse(
        "scrypt",
        hash,
        &scrypt("", 1 << 17, 1, 1, 32),
        "invalid_hash",
        "rejected",
    );

    let phc = "$scrypt$ln=4,r=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert!(ImportedHash::parse("scrypt", phc, &NONE).is_ok());
    refuse(
        "scrypt",
        &phc.replace("ln=4,", ""),
        &NONE,
        "invalid_hash",
        "ln=",
    );
    refuse(
        "scrypt",
        &phc.replace("ln=4", "ln=20"),
        &NONE,
        "invalid_hash",
        "262144",
    );
    refuse(
        "scrypt",
        &phc.replace("$scrypt$", "$scryp$"),
        &NONE,
        "invalid_hash",
        "$scrypt$",
    );
}
