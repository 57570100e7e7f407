//! `beian regulator …` as an operator meets it: `serve` refuses an unmigrated database, a
//! provider registered with `add-provider` (once per code) can sign requests with the key it
//! printed, and the service answers `/healthz`.

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
    drop(child);
    let _ = std::fs::remove_dir_all(dir);
}
