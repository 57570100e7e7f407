//! `beian regulator …` as an operator meets it: `serve` refuses an unmigrated database, a
//! provider registered with `add-provider` (once per code) can sign requests with the key it
//! printed, a bureau account made with `add-account` can sign in, and the service answers
//! `/healthz`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use beian_seam::{SigningKey, sign};
use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_beian"))
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let d = std::env::temp_dir().join(format!("beian-reg-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn regulator_migrates_registers_a_provider_and_serves_signed_requests() {
    let dir = temp_dir();
    let out = bin()
        .args(["regulator", "serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("beian regulator migrate"), "{err}");

    assert!(bin().args(["regulator", "migrate", "--data-dir"]).arg(&dir).status().unwrap().success());
    let add = |code: &str| {
        bin()
            .args(["regulator", "add-provider", "--code", code, "--name", "阿里云计算有限公司", "--data-dir"])
            .arg(&dir)
            .output()
            .unwrap()
    };
    let out = add("aliyun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key_hex = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(key_hex.len(), 64);
    let again = add("aliyun");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));
    assert_eq!(add("Not A Code").status.code(), Some(2));

    // A bureau reviewer for Zhejiang, the password from the environment; a bureau account
    // needs a province, and a short password is refused.
    let account = |user: &str, province: Option<&str>, password: &str| {
        let mut c = bin();
        c.args(["regulator", "add-account", "--username", user, "--data-dir"]).arg(&dir);
        if let Some(p) = province {
            c.args(["--province", p]);
        }
        c.env("BEIAN_REGULATOR_PASSWORD", password).output().unwrap()
    };
    let out = account("bureau-zj", Some("浙"), "correct horse battery");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(account("bureau-x", None, "correct horse battery").status.code(), Some(2));
    assert_eq!(account("bureau-y", Some("33"), "short").status.code(), Some(2));
    assert_eq!(account("bureau-z", Some("火星"), "correct horse battery").status.code(), Some(2));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Killed(
        bin()
            .args(["regulator", "serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&dir)
            .env("BEIAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut up = false;
    for _ in 0..200 {
        assert!(child.0.try_wait().unwrap().is_none(), "regulator exited (port {port} taken?)");
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "regulator did not start");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let path = "/api/v1/submissions/nothing-yet";
    let s = sign("aliyun", &SigningKey::from_hex(&key_hex).unwrap(), "GET", path, b"", now, "cli-test-1");
    let mut rb = reqwest::Client::new().get(format!("{base}{path}"));
    for (k, v) in s.headers() {
        rb = rb.header(k, v);
    }
    let resp = rb.send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "SUBMISSION_NOT_FOUND");

    let login = reqwest::Client::new()
        .post(format!("{base}/api/v1/bureau/login"))
        .json(&serde_json::json!({ "username": "bureau-zj", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let who: Value = login.json().await.unwrap();
    assert_eq!((who["role"].as_str(), who["province"].as_str()), (Some("bureau"), Some("33")));
    drop(child);
    let _ = std::fs::remove_dir_all(dir);
}
