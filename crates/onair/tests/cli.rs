//! The `onair` binary as an operator uses it: create an admin, grant credits, serve on a port,
//! answer `/readyz`, stop cleanly on SIGTERM; configuration errors are clear.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "cli-test-secret-cli-test-secret-0000";

fn onair(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onair"));
    cmd.arg("--data-dir").arg(data).current_dir(data);
    for var in [
        "LIVEKIT_URL",
        "LIVEKIT_WS_URL",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "DATABASE_URL",
        "ONAIR_BIND",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_ready(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/readyz")).await
            && res.status().is_success()
        {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "onair serve exited before answering /readyz"
        );
        assert!(
            Instant::now() < deadline,
            "onair serve did not answer /readyz within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn operator_commands_then_serve_and_stop_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    run(onair(data).arg("migrate"));

    let mut create = onair(data)
        .args([
            "user",
            "create",
            "--email",
            "Root@Example.com",
            "--name",
            "Root",
            "--admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"admin password\n")
        .unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dup = onair(data)
        .args([
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Again",
            "--password",
            "whatever1",
        ])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    run(onair(data).args([
        "credits",
        "grant",
        "--email",
        "root@example.com",
        "--amount",
        "50",
        "--reason",
        "test",
    ]));
    let bad = onair(data)
        .args([
            "credits",
            "grant",
            "--email",
            "root@example.com",
            "--amount",
            "-5",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "negative grants are refused");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = onair(data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        // The embedded media server's ICE ports: free ones, so parallel runs do not collide.
        .env("ONAIR_RTC_UDP_PORT", free_udp_port().to_string())
        .env("ONAIR_RTC_TCP_PORT", free_port().to_string())
        .spawn()
        .unwrap();
    wait_ready(&base, &mut child).await;

    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"email": "root@example.com", "password": "admin password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["credits"], 150, "signup grant + CLI grant");

    // Embedded mode generated a key pair, private to the owner, and print-config never shows the secret.
    let keys = data.join("livekit.toml");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&keys).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let secret_line = std::fs::read_to_string(&keys).unwrap();
    let secret = secret_line
        .lines()
        .find_map(|l| l.strip_prefix("api_secret = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let printed = String::from_utf8(run(onair(data).arg("print-config")).stdout).unwrap();
    assert!(printed.contains("livekit api key: API"), "{printed}");
    assert!(!printed.contains(&secret));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(
        Duration::from_secs(15),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("onair serve did not stop within 15 s of SIGTERM")
    .unwrap()
    .unwrap();
    assert!(status.success(), "graceful exit, got {status}");
}

#[test]
fn configuration_errors_are_clear_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let out = onair(dir.path())
        .arg("serve")
        .env("LIVEKIT_URL", "wss://lk.example.com")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LIVEKIT_API_KEY and LIVEKIT_API_SECRET are required"),
        "{err}"
    );

    let out = onair(dir.path())
        .arg("print-config")
        .env("ONAIR_RTC_UDP_PORT", "many")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ONAIR_RTC_UDP_PORT"));

    let out = onair(dir.path())
        .arg("serve")
        .env(
            "ONAIR_WEBHOOK_URLS",
            "https://hooks.example.com/lk,ftp://hooks.example.com/lk",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ONAIR_WEBHOOK_URLS (media.webhook_urls)") && err.contains("ftp://"),
        "{err}"
    );

    let out = run(onair(dir.path())
        .arg("print-config")
        .env("LIVEKIT_URL", "wss://lk.example.com")
        .env("LIVEKIT_API_KEY", "APIkey")
        .env("LIVEKIT_API_SECRET", SECRET)
        .env(
            "ONAIR_WEBHOOK_URLS",
            "https://hooks.example.com/lk,https://ops:hunter2@audit.example.com/in?key=k3y",
        ));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("APIkey") && !text.contains(SECRET), "{text}");
    assert!(text.contains("external LiveKit"));
    // Credentials in a webhook URL are shown redacted, the rest as configured.
    assert!(
        text.contains(r#""https://hooks.example.com/lk","#)
            && text.contains(r#""https://ops:redacted@audit.example.com/in?key=redacted""#),
        "{text}"
    );
    assert!(!text.contains("hunter2") && !text.contains("k3y"), "{text}");
}

#[test]
fn a_machine_without_ca_certificates_gets_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-bundle.pem");
    let out = onair(dir.path())
        .arg("serve")
        .env("ONAIR_BIND", "127.0.0.1:0")
        .env("SSL_CERT_FILE", &missing)
        .env("SSL_CERT_DIR", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "an error exit, not a panic");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no CA certificates found") && err.contains("ca-certificates"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
