//! The `beian` binary as an operator meets it: `serve` refuses an unmigrated database,
//! `config check` explains and redacts, and a process killed with SIGKILL loses no
//! acknowledged write — its queued jobs run after the restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_beian"))
}

fn temp_dir() -> PathBuf {
    let d =
        std::env::temp_dir().join(format!("beian-svc-{}", std::process::id() as u64 * 1000 + rand_suffix()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64 % 1000
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_refuses_an_unmigrated_database_and_migrate_fixes_it() {
    let dir = temp_dir();
    let out = bin().args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("beian migrate"), "{err}");
    assert!(!err.contains("panicked"));
    let out = bin().args(["migrate", "--data-dir"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn scan_database_reads_the_services_database_and_says_what_is_missing() {
    let dir = temp_dir();
    let scan = || {
        bin().args(["scan", "--database", "--data-dir"]).arg(&dir).env_remove("BEIAN_KEYS").output().unwrap()
    };
    let out = scan();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("beian migrate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bin().args(["migrate", "--data-dir"]).arg(&dir).output().unwrap().status.success());
    let out = scan();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no key file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = json!({ "current": 1, "data_keys": { "1": "11".repeat(32) }, "index_key": "22".repeat(32) });
    let out = bin()
        .args(["scan", "--database", "--data-dir"])
        .arg(&dir)
        .env("BEIAN_KEYS", keys.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no websites are filed"));
    // The service's settings only make sense with --database.
    let out = bin().args(["scan", "--data-dir"]).arg(&dir).arg("http://example.com").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_check_explains_sources_and_hides_secrets() {
    let dir = temp_dir();
    let cfg = dir.join("beian.toml");
    std::fs::File::create(&cfg).unwrap().write_all(b"listen = \"127.0.0.1:9999\"\n[smtp]\nhost = \"smtp.example.com\"\npassword = \"hunter2-secret\"\n[regulator]\nurl = \"http://127.0.0.1:8090\"\nprovider = \"demo-cloud\"\nkey = \"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00\"\n").unwrap();
    let out = bin()
        .args(["config", "check", "--config"])
        .arg(&cfg)
        .env("BEIAN_DATABASE_URL", "postgres://beian:db-secret@db.example.com/beian")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("127.0.0.1:9999") && text.contains("file "), "{text}");
    assert!(text.contains("env BEIAN_DATABASE_URL"), "{text}");
    assert!(!text.contains("hunter2-secret") && !text.contains("db-secret"), "{text}");
    assert!(
        text.contains("http://127.0.0.1:8090 as demo-cloud (key set)") && !text.contains("c0ffee"),
        "{text}"
    );
    // MIIT's interface V3.0: the password and the AES key never printed; a bad key refused.
    let out = bin()
        .args(["config", "check"])
        .env("BEIAN_MIIT_URL", "http://bureau.example.com")
        .env("BEIAN_MIIT_UNIT_ID", "700001")
        .env("BEIAN_MIIT_USER", "aliyun")
        .env("BEIAN_MIIT_PASSWORD", "miit-secret-pw")
        .env("BEIAN_MIIT_AES_KEY", "aeskey-secret-16")
        .env("BEIAN_MIIT_AES_IV", "0102030405060708")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("http://bureau.example.com as unit 700001 user aliyun (password set, AES key set)"),
        "{text}"
    );
    assert!(!text.contains("miit-secret-pw") && !text.contains("aeskey-secret-16"), "{text}");
    let out = bin()
        .args(["config", "check"])
        .env("BEIAN_MIIT_URL", "http://bureau.example.com")
        .env("BEIAN_MIIT_UNIT_ID", "700001")
        .env("BEIAN_MIIT_USER", "aliyun")
        .env("BEIAN_MIIT_PASSWORD", "miit-secret-pw")
        .env("BEIAN_MIIT_AES_KEY", "short")
        .env("BEIAN_MIIT_AES_IV", "0102030405060708")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("aes_key"));
    // The PSB badge: a small PNG, checked before the service starts.
    let badge = dir.join("beian-gongan.png");
    std::fs::write(&badge, b"GIF89a not a png").unwrap();
    let out = bin().args(["config", "check"]).env("BEIAN_PSB_BADGE", &badge).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("psb_badge") && text.contains("not a PNG image"), "{text}");
    let bad = bin().args(["config", "check"]).env("BEIAN_LISTEN", "not an address").output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("listen"));
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "lissen = \"x\"\n").unwrap();
    let out = bin().args(["config", "check", "--config"]).arg(&typo).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lissen"));
    let _ = std::fs::remove_dir_all(dir);
}

struct Demo {
    child: Child,
    base: String,
    regulator: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_demo(dir: &Path, workers: &str) -> Demo {
    let port = free_port();
    let reg_port = free_port();
    let child = bin()
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--regulator-listen", &format!("127.0.0.1:{reg_port}"), "--data-dir"])
        .arg(dir)
        .env("BEIAN_WORKERS", workers)
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by `Demo` at once, so every path (including the panic below) kills and reaps it.
    let mut demo = Demo {
        child,
        base: format!("http://127.0.0.1:{port}"),
        regulator: format!("http://127.0.0.1:{reg_port}"),
    };
    for _ in 0..200 {
        // A demo that could not bind has exited; a 200 then would come from someone else.
        assert!(demo.child.try_wait().unwrap().is_none(), "demo exited (port {port} taken?)");
        let up = |base: String| async move {
            reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success())
        };
        // Both services answer: the provider and the demo's own regulator.
        if up(demo.base.clone()).await && up(demo.regulator.clone()).await {
            return demo;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("demo did not start");
}

async fn login(base: &str, email: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": "beian-demo-2026" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (c, r["csrf_token"].as_str().unwrap().to_owned())
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 200, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_and_runs_queued_jobs_after_restart() {
    let dir = temp_dir();
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/examples/first-filing-company.json"
        ))
        .unwrap(),
    )
    .unwrap();
    // The data folder was made with the default umask's 0755; the service makes it private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // First run without job workers: the submission's e-mail job stays queued.
    let demo = start_demo(&dir, "0").await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for (path, want) in [
            (dir.clone(), 0o700),
            (dir.join("beian.db"), 0o600),
            (dir.join("keys.json"), 0o600),
            (dir.join("blobs"), 0o700),
            (dir.join("regulator"), 0o700),
            (dir.join("regulator/regulator.db"), 0o600),
        ] {
            assert_eq!(mode(&path), want, "{}", path.display());
        }
    }
    let (c, csrf) = login(&demo.base, "applicant@demo.beian.local").await;
    let api = format!("{}/api/v1", demo.base);
    let s: Value = c
        .post(format!("{api}/subjects"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "province": "33", "subject": example["order"]["subject"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let o: Value = c
        .post(format!("{api}/orders"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "subject_id": s["id"], "websites": example["order"]["websites"], "domain_facts": example["context"]["domains"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order = o["id"].as_str().unwrap().to_owned();
    for (kind, path) in [
        ("business_licence", "subject"),
        ("id_front", "subject.head"),
        ("id_back", "subject.head"),
        ("id_front", "websites[1].head"),
        ("id_back", "websites[1].head"),
        ("face_photo", "websites[0].head"),
        ("face_photo", "websites[1].head"),
    ] {
        let form = reqwest::multipart::Form::new().text("kind", kind).text("subject_path", path).part(
            "file",
            reqwest::multipart::Part::bytes(png()).file_name("p.png").mime_str("image/png").unwrap(),
        );
        let r = c
            .post(format!("{api}/orders/{order}/documents"))
            .header("x-csrf-token", &csrf)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = c
        .post(format!("{api}/orders/{order}/submit"))
        .header("x-csrf-token", &csrf)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // SIGKILL right after the acknowledgement: no graceful shutdown at all.
    let mut demo = demo;
    demo.child.kill().unwrap();
    demo.child.wait().unwrap();
    drop(demo);

    // Second run, with workers: the acknowledged submission is there, and its job runs.
    let demo = start_demo(&dir, "1").await;
    let (c, _) = login(&demo.base, "applicant@demo.beian.local").await;
    let o: Value =
        c.get(format!("{}/api/v1/orders/{order}", demo.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(o["state"]["state"], "submitted");
    let (admin, _) = login(&demo.base, "admin@demo.beian.local").await;
    let mut delivered = false;
    for _ in 0..100 {
        let m: Value = admin
            .get(format!("{}/api/v1/admin/messages?channel=email", demo.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if m.as_array().is_some_and(|a| {
            a.iter().any(|m| m["status"] == "outbox" && m["body"].as_str().unwrap_or("").contains(&order))
        }) {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the queued e-mail job did not run after the restart");
    drop(demo);
    let _ = std::fs::remove_dir_all(dir);
}

/// A plain `beian serve` gets its staff from `beian account add`: an admin made on the command
/// line signs in and reaches the admin API; a second account under the address is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_accounts_come_from_the_command_line() {
    let dir = temp_dir();
    assert!(bin().args(["migrate", "--data-dir"]).arg(&dir).output().unwrap().status.success());
    let add = |email: &str, role: &str| {
        bin()
            .args(["account", "add", "--email", email, "--role", role, "--data-dir"])
            .arg(&dir)
            .env("BEIAN_ACCOUNT_PASSWORD", "a-long-admin-passphrase")
            .output()
            .unwrap()
    };
    let out = add("admin@example.com", "admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin account admin@example.com created"));
    let again = add("admin@example.com", "reviewer");
    assert_eq!(again.status.code(), Some(2), "{}", String::from_utf8_lossy(&again.stdout));
    let bad = add("r@example.com", "superuser");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--role"));

    let port = free_port();
    let mut child = bin()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&dir)
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = if up {
        c.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "admin@example.com", "password": "a-long-admin-passphrase" }))
            .send()
            .await
            .ok()
    } else {
        None
    };
    let audit = match &login {
        Some(r) if r.status().is_success() => c.get(format!("{base}/api/v1/admin/audit")).send().await.ok(),
        _ => None,
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(up, "serve did not start");
    assert_eq!(login.map(|r| r.status()), Some(reqwest::StatusCode::OK));
    assert_eq!(audit.map(|r| r.status()), Some(reqwest::StatusCode::OK));
}

/// Runs `beian serve` until it either answers `/healthz` (`Ok`, then stopped) or exits
/// (`Err` with its exit code and what it said).
async fn try_serve(dir: &Path, env: &[(&str, &Path)]) -> Result<(), (Option<i32>, String)> {
    let port = free_port();
    let mut cmd = bin();
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env("BEIAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return Err((out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    Err((None, "neither served nor stopped within 30 s".into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_without_the_keys_or_the_documents_refuses_to_start() {
    let first = temp_dir();
    assert!(bin().args(["migrate", "--data-dir"]).arg(&first).output().unwrap().status.success());
    // The first instance starts, and marks the database with its keys and its document store.
    try_serve(&first, &[]).await.expect("the first instance starts");

    let db = first.join("beian.db");
    let keys = first.join("keys.json");
    let second = temp_dir();
    // Same database, same keys, but its own document folder: the documents are elsewhere.
    let (code, err) =
        try_serve(&second, &[("BEIAN_DATABASE_URL", &db), ("BEIAN_KEYS_FILE", &keys)]).await.unwrap_err();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not in this instance's document store") && err.contains("S3"), "{err}");
    // Same database, its own keys: refused before anything is read.
    let (code, err) = try_serve(&second, &[("BEIAN_DATABASE_URL", &db)]).await.unwrap_err();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("encrypted with other keys") && !err.contains("panicked"), "{err}");
    // The first instance still starts: the marks are its own.
    try_serve(&first, &[]).await.expect("the first instance starts again");
    let _ = std::fs::remove_dir_all(&first);
    let _ = std::fs::remove_dir_all(&second);
}
