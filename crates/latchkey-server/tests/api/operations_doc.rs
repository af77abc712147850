//! docs/operations.md's systemd units (issue 15 item 8) are valid as written:
//! `systemd-analyze verify` accepts them with the binary path pointed at this build.

use crate::helpers::repo_root;

#[test]
fn systemd_units_verify() {
    let Ok(out) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        panic!("systemd-analyze is not installed (Debian: apt-get install systemd)");
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let units = [
        "latchkey.service",
        "latchkey-backup.service",
        "latchkey-backup.timer",
    ];
    for name in units {
        let text = std::fs::read_to_string(repo_root().join("docs/examples").join(name)).unwrap();
        // This machine has no /etc/latchkey: the environment file becomes optional ("-").
        let text = text
            .replace("/usr/local/bin/latchkey", env!("CARGO_BIN_EXE_latchkey"))
            .replace("EnvironmentFile=/", "EnvironmentFile=-/");
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(units.iter().map(|u| dir.path().join(u)))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains(".service:"),
        "systemd-analyze complained: {text}"
    );
}
