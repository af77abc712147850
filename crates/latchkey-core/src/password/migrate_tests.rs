//! Published test vectors for every imported hash type, and storage round trips.
//! Parse-error cases live in `migrate_error_tests.rs` and `kdf_error_tests.rs`.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;

use super::migrate::{Argon2Config, Pbkdf2Config, SaltAffixConfig, ScryptConfig};
use super::{ImportedHash, MigrateConfigs};

pub(super) fn parse(hash_type: &str, hash: &str, configs: &MigrateConfigs) -> ImportedHash {
    match ImportedHash::parse(hash_type, hash, configs) {
        Ok(parsed) => parsed,
        Err(e) => unreachable!("{hash_type} {hash}: {e}"),
    }
}

pub(super) fn b64_of_hex(hex_str: &str) -> String {
    STANDARD.encode(hex::decode(hex_str).unwrap_or_default())
}

/// Asserts the hash accepts `password`, rejects a near miss, and survives storage.
pub(super) fn check(imported: &ImportedHash, password: &str) {
    assert!(
        imported.verify(password),
        "{imported:?} rejected {password:?}"
    );
    assert!(
        !imported.verify(&format!("{password}x")),
        "{imported:?} accepted a wrong password"
    );
    let json = imported.to_storage_json().unwrap_or_default();
    let loaded = ImportedHash::from_storage_json(&json);
    assert_eq!(loaded.as_ref().ok(), Some(imported), "{json}");
}

#[test]
fn bcrypt_published_vectors() {
    let none = MigrateConfigs::default();
    // Openwall crypt_blowfish wrapper.c, pyca/bcrypt tests, PHP manual (password_verify).
    let vectors = [
        ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
        ("U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"),
        ("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"),
        (
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
            "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
        ),
        ("Kk4DQuMMfZL9o", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"),
        ("9IeRXmnGxMYbs", "$2b$04$pQ7gRO7e6wx/936oXhNjrOUNOHL1D0h1N2IDbJZYs.1ppzSof6SPy"),
        ("rasmuslerdorf", "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq"),
    ];
    for (password, hash) in vectors {
        let imported = parse("bcrypt", hash, &none);
        if password.len() > 72 {
            // bcrypt ignores bytes past 72, so the near-miss check does not apply.
            assert!(imported.verify(password));
            assert!(!imported.verify("0123456789"));
        } else {
            check(&imported, password);
        }
    }
}

#[test]
fn salted_digest_vectors_with_prepend_and_append() {
    let affix = |prepend: &str, append: &str| SaltAffixConfig {
        prepend_salt: prepend.to_owned(),
        append_salt: append.to_owned(),
    };
    // RFC 1321 (MD5) and FIPS 180-2 (SHA-1, SHA-512) "abc" digests, split across
    // prepend salt / password / append salt.
    let md5_abc = "900150983cd24fb0d6963f7d28e17f72";
    let sha1_abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
    let sha512_abc = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                      2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    for (prepend, password, append) in [
        ("", "abc", ""),
        ("a", "bc", ""),
        ("", "ab", "c"),
        ("a", "b", "c"),
    ] {
        let c = affix(prepend, append);
        let md5 = MigrateConfigs {
            md_5_config: Some(c.clone()),
            ..MigrateConfigs::default()
        };
        let sha1 = MigrateConfigs {
            sha_1_config: Some(c.clone()),
            ..MigrateConfigs::default()
        };
        let sha512 = MigrateConfigs {
            sha_512_config: Some(c),
            ..MigrateConfigs::default()
        };
        check(&parse("md_5", md5_abc, &md5), password);
        check(&parse("sha_1", sha1_abc, &sha1), password);
        check(&parse("sha_512", sha512_abc, &sha512), password);
    }
    // More RFC 1321 / FIPS 180 vectors, no salts; uppercase hex and base64 also accepted.
    let none = MigrateConfigs::default();
    check(
        &parse("md_5", "F96B697D7CB7938D525A2F31AAF161D0", &none),
        "message digest",
    );
    check(
        &parse(
            "md_5",
            &b64_of_hex("d41d8cd98f00b204e9800998ecf8427e"),
            &none,
        ),
        "",
    );
    let sha1_448 = "84983e441c3bd26ebaae4aa1f95129e5e54670f1";
    check(
        &parse("sha_1", sha1_448, &none),
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    );
    // Wrong salt placement must not verify.
    let swapped = MigrateConfigs {
        md_5_config: Some(affix("", "a")),
        ..MigrateConfigs::default()
    };
    assert!(!parse("md_5", md5_abc, &swapped).verify("bc"));
}

fn argon2_raw(hash_hex_len: usize, threads: i64) -> MigrateConfigs {
    MigrateConfigs {
        argon_2_config: Some(Argon2Config {
            salt: "somesalt".to_owned(),
            iteration_amount: 2,
            memory: 256,
            threads,
            key_length: i64::try_from(hash_hex_len / 2).unwrap_or(0),
        }),
        ..MigrateConfigs::default()
    }
}

#[test]
fn argon2_reference_vectors_phc_and_raw() {
    // phc-winner-argon2 src/test.c (password "password", salt "somesalt").
    let none = MigrateConfigs::default();
    let phc = [
        (
            "argon_2i",
            "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8",
        ),
        (
            "argon_2i",
            "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E",
        ),
        // No `v=`: version 0x10, as the reference implementation reads it.
        (
            "argon_2i",
            "$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY",
        ),
        (
            "argon_2i",
            "$argon2i$v=16$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY",
        ),
        (
            "argon_2id",
            "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
        ),
        (
            "argon_2id",
            "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
        ),
    ];
    for (hash_type, hash) in phc {
        check(&parse(hash_type, hash, &none), "password");
    }
    // The same tags in raw hex form with argon_2_config.
    let raw = [
        (
            "argon_2i",
            "89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f",
            1,
        ),
        (
            "argon_2id",
            "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe",
            1,
        ),
        (
            "argon_2id",
            "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037",
            2,
        ),
    ];
    for (hash_type, hash, threads) in raw {
        check(
            &parse(hash_type, hash, &argon2_raw(hash.len(), threads)),
            "password",
        );
    }
}

#[test]
fn argon2_rfc9106_vectors_through_the_argon2_crate() {
    // RFC 9106 §5.2 (Argon2i) and §5.3 (Argon2id): these use a secret and associated
    // data, which Stytch imports never carry, so they check the crate we build on.
    use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
    let vectors = [
        (
            Algorithm::Argon2i,
            "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8",
        ),
        (
            Algorithm::Argon2id,
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
        ),
    ];
    for (algorithm, tag) in vectors {
        let data = AssociatedData::new(&[0x04; 12]).unwrap();
        let params = ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(data)
            .build()
            .unwrap();
        let ctx = Argon2::new_with_secret(&[0x03; 8], algorithm, Version::V0x13, params).unwrap();
        let mut out = [0u8; 32];
        ctx.hash_password_into(&[0x01; 32], &[0x02; 16], &mut out)
            .unwrap();
        assert_eq!(hex::encode(out), tag);
    }
}

// RFC 7914 §12.
pub(super) const SCRYPT_RFC_1: &str =
    "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442\
                            fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906";
const SCRYPT_RFC_2: &str = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162\
                            2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640";

#[test]
fn scrypt_rfc7914_vectors() {
    // Vector 1 (P="", S="", N=16, r=1, p=1) in the base64 + scrypt_config form.
    let config = MigrateConfigs {
        scrypt_config: Some(ScryptConfig {
            salt: String::new(),
            n_parameter: 16,
            r_parameter: 1,
            p_parameter: 1,
            key_length: 64,
        }),
        ..MigrateConfigs::default()
    };
    check(&parse("scrypt", &b64_of_hex(SCRYPT_RFC_1), &config), "");

    // Vector 2 (P="password", S="NaCl", N=1024, r=8, p=16) as a PHC string; the one
    // slow vector in this suite.
    let hash = STANDARD_NO_PAD.encode(hex::decode(SCRYPT_RFC_2).unwrap_or_default());
    let phc = format!("$scrypt$ln=10,r=8,p=16$TmFDbA${hash}");
    let imported = parse("scrypt", &phc, &MigrateConfigs::default());
    assert!(imported.verify("password"));
    let json = imported.to_storage_json().unwrap_or_default();
    assert_eq!(ImportedHash::from_storage_json(&json).ok(), Some(imported));
}

fn pbkdf2_config(
    salt: &[u8],
    iterations: i64,
    key_length: usize,
    algorithm: &str,
) -> MigrateConfigs {
    MigrateConfigs {
        pbkdf_2_config: Some(Pbkdf2Config {
            salt: STANDARD.encode(salt),
            iteration_amount: iterations,
            key_length: i64::try_from(key_length).unwrap_or(0),
            algorithm: algorithm.to_owned(),
        }),
        ..MigrateConfigs::default()
    }
}

#[test]
fn pbkdf2_published_vectors() {
    let vectors: [(&str, &str, &[u8], i64, &str); 11] = [
        // RFC 6070 (PBKDF2-HMAC-SHA1); `sha1` is a latchkey extension.
        (
            "sha1",
            "password",
            b"salt",
            1,
            "0c60c80f961f0e71f3a9b524af6012062fe037a6",
        ),
        (
            "sha1",
            "password",
            b"salt",
            2,
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
        ),
        (
            "SHA-1",
            "password",
            b"salt",
            4096,
            "4b007901b765489abead49d926f721d065a429c1",
        ),
        (
            "sha1",
            "passwordPASSWORDpassword",
            b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
            4096,
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
        ),
        (
            "sha1",
            "pass\0word",
            b"sa\0lt",
            4096,
            "56fa6aa75548099dcc37d7f03425e0c3",
        ),
        // PBKDF2-HMAC-SHA256: the widely published "password"/"salt" vectors, and
        // RFC 7914 §11. An empty algorithm means the documented default, sha256.
        (
            "sha256",
            "password",
            b"salt",
            1,
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
        ),
        (
            "",
            "password",
            b"salt",
            2,
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43",
        ),
        (
            "sha256",
            "password",
            b"salt",
            4096,
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
        ),
        (
            "sha256",
            "passwd",
            b"salt",
            1,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
        ),
        // PBKDF2-HMAC-SHA512 "password"/"salt" (published alongside the SHA-256 set).
        (
            "sha512",
            "password",
            b"salt",
            1,
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce",
        ),
        (
            "SHA512",
            "password",
            b"salt",
            2,
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c\
             f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e",
        ),
    ];
    for (algorithm, password, salt, iterations, tag) in vectors {
        let config = pbkdf2_config(salt, iterations, tag.len() / 2, algorithm);
        check(&parse("pbkdf_2", &b64_of_hex(tag), &config), password);
    }
}

#[test]
fn phpass_through_imported_hash() {
    // Openwall phpass test.php.
    let imported = parse(
        "phpass",
        "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",
        &MigrateConfigs::default(),
    );
    check(&imported, "test12345");
}
