//! The real binary: bad configuration stops start-up with one clear line.

use std::process::Command;

fn roadie() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roadie"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "ROADIE_DATA_DIR",
            std::env::temp_dir().join("roadie-startup-test"),
        );
    cmd
}

#[test]
fn bad_config_values_fail_fast_with_a_clear_message() {
    for (var, value) in [
        ("ROADIE_BIND", "not-an-address"),
        ("ROADIE_PROTOCOL", "gopher"),
        ("ROADIE_DOMAIN", "https://music.example/"),
        ("ROADIE_DATABASE_URL", "mysql://localhost/roadie"),
        ("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK", "perhaps"),
    ] {
        let out = roadie()
            .env(var, value)
            .arg("serve")
            .output()
            .expect("run roadie");
        assert!(!out.status.success(), "{var}={value} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {var}: {stderr}");
        assert!(lines[0].contains(var), "{var} named in: {stderr}");
    }
}

#[test]
fn unreadable_config_file_is_reported() {
    let out = roadie()
        .args(["--config", "/nonexistent/roadie.toml", "serve"])
        .output()
        .expect("run roadie");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/roadie.toml"));
}

#[test]
fn admin_token_create_prints_the_token_last() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    let created = roadie()
        .env("ROADIE_DATABASE_URL", &db)
        .args(["admin", "artist", "create", "band", "--name", "The Band"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out = roadie()
        .env("ROADIE_DATABASE_URL", &db)
        .args(["admin", "token", "create", "band"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("roadie_") && last.len() > 40, "{stdout}");

    let dup = roadie()
        .env("ROADIE_DATABASE_URL", &db)
        .args(["admin", "artist", "create", "band", "--name", "Again"])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
}
