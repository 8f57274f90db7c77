//! The operator's command line, run as the real binary.

use std::process::{Command, Stdio};

fn simo(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_simo-backend"))
        .args(args)
        .env("SIMO_DATABASE_URL", db_url)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn partner_create_list_rotate_and_set_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let (ok, out, err) = simo(
        &url,
        &[
            "partner",
            "create",
            "--inn",
            "7707083893",
            "--name",
            "ООО Весна",
            "--full-name",
            "ООО «Весна»",
            "--password",
            "secret-password",
        ],
    );
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(created["token"].as_str().unwrap().starts_with("simo_p_"));

    let (ok, _, err) = simo(
        &url,
        &[
            "partner",
            "create",
            "--inn",
            "7707083893",
            "--name",
            "x",
            "--full-name",
            "x",
            "--password",
            "secret-password",
        ],
    );
    assert!(!ok && err.contains("уже существует"), "{err}");
    let (ok, _, err) = simo(
        &url,
        &[
            "partner",
            "create",
            "--inn",
            "123",
            "--name",
            "x",
            "--full-name",
            "x",
            "--password",
            "secret-password",
        ],
    );
    assert!(!ok && err.contains("ИНН"), "{err}");

    // The company's own limit of SMS a month; junk is refused and changes nothing.
    let set_sms = |limit: &str| {
        let args = [
            "partner",
            "set-sms-limit",
            "--inn",
            "7707083893",
            "--limit",
            limit,
        ];
        simo(&url, &args)
    };
    let (ok, out, err) = set_sms("5 000");
    assert!(ok, "{err}");
    assert!(out.contains("\"sms_limit\":5000"), "{out}");
    let (ok, _, err) = set_sms("много");
    assert!(!ok && err.contains("Лимит SMS"), "{err}");
    let set_room = |mb: &str| {
        let args = [
            "partner",
            "set-file-room",
            "--inn",
            "7707083893",
            "--mb",
            mb,
        ];
        simo(&url, &args)
    };
    let (ok, out, err) = set_room("2048");
    assert!(ok, "{err}");
    assert!(out.contains("\"file_room_mb\":2048"), "{out}");
    let (ok, _, err) = set_room("много");
    assert!(!ok && err.contains("Место для файлов"), "{err}");

    let (ok, out, _) = simo(&url, &["partner", "list"]);
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["inn"], "7707083893");
    assert_eq!(list[0]["sms_limit"], 5000);
    assert_eq!(list[0]["file_room_mb"], 2048);

    let (ok, out, _) = simo(&url, &["partner", "rotate-token", "--inn", "7707083893"]);
    assert!(ok);
    let rotated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(rotated["token"], created["token"]);

    let (ok, _, _) = simo(
        &url,
        &[
            "partner",
            "set-password",
            "--inn",
            "7707083893",
            "--password",
            "another-password",
        ],
    );
    assert!(ok);
    let (ok, _, err) = simo(
        &url,
        &[
            "partner",
            "set-password",
            "--inn",
            "7707083893",
            "--password",
            "short",
        ],
    );
    assert!(!ok && err.contains("короткий"), "{err}");

    let (ok, _, err) = simo(
        &url,
        &[
            "partner",
            "rotate-token",
            "--inn",
            "7707083893",
            "--grace-secs",
            "3600",
        ],
    );
    assert!(ok, "{err}");
    // The main key's two live tokens: the one just replaced, in its grace period, and the new.
    let (ok, out, err) = simo(&url, &["partner", "keys", "--inn", "7707083893"]);
    assert!(ok, "{err}");
    let keys: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2, "{out}");
    let old = rotated["token"].as_str().unwrap();
    assert!(
        old.starts_with(keys[0]["prefix"].as_str().unwrap()),
        "{out}"
    );
    assert!(
        keys[0]["expires_at"].is_i64() && keys[1]["expires_at"].is_null(),
        "{out}"
    );
    for k in keys {
        assert_eq!(
            (k["name"].as_str(), k["access"].as_str()),
            (Some(""), Some("full"))
        );
        assert!(!out.contains(old), "never a whole token");
    }
    let (ok, _, err) = simo(&url, &["partner", "erase", "--inn", "7736207543", "--yes"]);
    assert!(!ok && err.contains("7736207543"), "no such partner: {err}");
    // Each change is in the partner's journal, by the server's command line, newest first; the
    // refused password is not.
    let journal = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = simo_backend::store::Store::connect(&url, 1).await.unwrap();
        let id = created["id"].as_i64().unwrap();
        store
            .list_audit(id, None, &Default::default(), 10)
            .await
            .unwrap()
    });
    let entries: Vec<(&str, &str)> = journal
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            ("cli", "token_rotated_grace"),
            ("cli", "password_reset"),
            ("cli", "token_rotated"),
            ("cli", "partner_file_room_set"),
            ("cli", "partner_sms_limit_set"),
            ("cli", "partner_created"),
        ]
    );
    // The date the old token works until, as the cabinet writes it.
    assert_eq!(
        journal[0].detail.len(),
        "2026-11-29 13:00".len(),
        "{:?}",
        journal[0]
    );

    // Deleted for good, and only when told so twice.
    let (ok, _, err) = simo(&url, &["partner", "erase", "--inn", "7707083893"]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (ok, out, err) = simo(&url, &["partner", "erase", "--inn", "7707083893", "--yes"]);
    assert!(ok, "{err}");
    let erased: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(erased["erased"], true, "{out}");
    let (ok, out, _) = simo(&url, &["partner", "list"]);
    assert!(ok && !out.contains("7707083893"), "{out}");

    let login = ["--login", "ops", "--password", "operator-password"];
    let (ok, _, err) = simo(&url, &[&["operator", "create"][..], &login].concat());
    assert!(ok, "{err}");
    // A login code on the operator's login: the server administrator's reset removes it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let operator_factor = |enable: bool| {
        runtime.block_on(async {
            use simo_backend::service::second_factor;
            let kind = simo_backend::store::SessionKind::Operator;
            let store = simo_backend::store::Store::connect(&url, 1).await.unwrap();
            let op = store.operator_by_login("ops").await.unwrap().unwrap();
            if enable {
                let setup = second_factor::staged(&store, kind, op.id, "ops").await;
                let code = crate::helpers::totp_code(&setup.unwrap().unwrap().secret, 0);
                let on = second_factor::enable(&store, kind, op.id, &code).await;
                assert!(on.unwrap().is_some());
            }
            second_factor::enabled(&store, kind, op.id)
                .await
                .unwrap()
                .is_some()
        })
    };
    assert!(operator_factor(true));
    let (ok, _, err) = simo(&url, &[&["operator", "set-password"][..], &login].concat());
    assert!(ok, "{err}");
    assert!(!operator_factor(false), "the reset removed the login code");
    // The operator's journal has every change, the deletion with what went (the company's own
    // journal went with it), and the operator accounts'.
    let journal = runtime.block_on(async {
        let store = simo_backend::store::Store::connect(&url, 1).await.unwrap();
        store.list_operator_events(None, None, 20).await.unwrap()
    });
    let entries: Vec<[&str; 4]> = journal
        .iter()
        .map(|e| {
            [
                e.actor.as_str(),
                e.action.as_str(),
                e.partner_inn.as_str(),
                e.detail.as_str(),
            ]
        })
        .collect();
    let grace = journal[3].detail.as_str();
    let inn = "7707083893";
    assert_eq!(
        entries,
        [
            [
                "cli",
                "operator_password",
                "",
                "ops; вход по коду из приложения отключён"
            ],
            ["cli", "operator_created", "", "ops"],
            [
                "cli",
                "partner_erased",
                inn,
                "удалено сообщений: 0, сотрудников: 0"
            ],
            ["cli", "token_rotated_grace", inn, grace],
            ["cli", "password_reset", inn, ""],
            ["cli", "token_rotated", inn, ""],
            ["cli", "partner_file_room_set", inn, "— → 2048"],
            ["cli", "partner_sms_limit_set", inn, "— → 5000"],
            ["cli", "partner_created", inn, ""],
        ]
    );
    assert_eq!(grace.len(), "2026-11-29 13:00".len(), "{grace}");
    assert!(
        journal
            .iter()
            .skip(2)
            .all(|e| e.partner_name == "ООО Весна")
    );
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_simo-backend"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for knob in simo_backend::config::KNOBS {
        let env = format!("SIMO_{}", knob.key.to_ascii_uppercase());
        assert!(help.contains(&env), "{env} missing from --help");
    }
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/serve.db?mode=rwc", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_simo-backend"))
        .args(["serve", "--demo"])
        .env("SIMO_DATABASE_URL", &url)
        .env("SIMO_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The demo banner is printed once the server is bound and migrated.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("API token") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "server exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("7707083893"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful exit, got {exit:?}");
}
