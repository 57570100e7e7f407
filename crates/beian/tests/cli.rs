//! The CLI contract, exercised through the real binary: output shape, streaming from stdin,
//! exit codes (0 valid, 1 invalid, 2 usage or unreadable input) and one-line errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn beian(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run beian");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn docs(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn id_check_from_arguments() {
    let out =
        beian(&["id", "check", "--today", "2026-11-28", "11010519491231002X", "91330106673959654P"], "");
    assert_eq!(out.status.code(), Some(0));
    let l = lines(&out);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["input"], "11010519491231002X");
    assert_eq!(l[0]["valid"], true);
    assert_eq!(l[0]["kind"], "resident-id");
    assert_eq!(l[0]["normalized"], "11010519491231002X");
    assert_eq!(l[0]["error"], Value::Null);
    assert_eq!(l[0]["warnings"], serde_json::json!([]));
    assert_eq!(l[1]["kind"], "uscc");
}

#[test]
fn id_check_streams_stdin_in_order_and_exits_1_on_any_invalid() {
    let input =
        "11010519491231002X\r\n110105194912310021\n\n91350211M00013FA1N\nD2143569-X\n\u{ff}\u{fe}bad\n";
    let out = beian(&["id", "check", "--lang", "en"], input);
    assert_eq!(out.status.code(), Some(1));
    let l = lines(&out);
    assert_eq!(l.len(), 6);
    assert_eq!(l[0]["valid"], true);
    assert_eq!(l[1]["error"]["code"], "RESIDENT_ID_CHECKSUM");
    assert!(l[1]["error"]["message"].as_str().unwrap().contains("check character"));
    assert_eq!(l[2]["error"]["code"], "ID_EMPTY");
    // A real pilot-era code that fails GB 32100's check: read, with a warning to compare.
    assert_eq!(l[3]["kind"], "uscc");
    assert_eq!(l[3]["valid"], true);
    assert_eq!(l[3]["warnings"][0]["code"], "USCC_CHECK_CHAR", "{}", l[3]);
    assert_eq!(l[4]["kind"], "org-code");
    assert_eq!(l[4]["normalized"], "D2143569-X");
    assert_eq!(l[5]["valid"], false);
}

#[test]
fn id_check_forced_kind_and_legacy_numbers() {
    let out = beian(&["id", "check", "--kind", "resident-id", "110105491231002"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out)[0]["error"]["code"], "RESIDENT_ID_LEGACY_15");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(beian(&["id", "check", "--kind", "passport", "x"], "").status.code(), Some(2));
    assert_eq!(beian(&["frobnicate"], "").status.code(), Some(2));
    assert_eq!(beian(&["id", "check", "--today", "yesterday", "x"], "").status.code(), Some(2));
}

#[test]
fn number_parse_contract() {
    let out = beian(
        &[
            "number",
            "parse",
            "京ICP备16020626号-8",
            "浙B2-20080101-4",
            "京公网安备 11010502030143号",
            "粤ICP备2022xxxxxx号",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let l = lines(&out);
    assert_eq!(l[0]["kind"], "icp_filing");
    assert_eq!(l[0]["province"], "11");
    assert_eq!(l[0]["subject_number"], "京ICP备16020626号");
    assert_eq!(l[0]["service_seq"], 8);
    assert_eq!(l[0]["service_kind"], "website");
    assert_eq!(l[1]["kind"], "icp_licence");
    assert_eq!(l[1]["province"], "33");
    assert_eq!(l[2]["kind"], "psb");
    assert_eq!(l[2]["normalized"], "京公网安备11010502030143号");
    assert_eq!(l[2]["service_kind"], Value::Null);
    assert_eq!(l[3]["error"]["code"], "NUMBER_PLACEHOLDER");
    let bare = lines(&beian(&["number", "parse", "京ICP备16020626"], ""));
    assert_eq!(bare[0]["service_kind"], Value::Null);
    assert_eq!(bare[0]["deviations"][0]["code"], "MISSING_HAO");
}

#[test]
fn number_extract_contract() {
    let html = "<footer>© 阿里云 <a href=\"https://beian.miit.gov.cn/\">浙ICP备12022327号-80</a>\
                <span>浙公网安备 33010602009975号</span> 京网文〔2020〕1039-165号 蜀公网安备51010402000001号</footer>";
    let out = beian(&["number", "extract"], html);
    assert_eq!(out.status.code(), Some(0));
    let l = lines(&out);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["normalized"], "浙ICP备12022327号-80");
    assert_eq!(l[0]["kind"], "icp_filing");
    let offset = l[0]["offset"].as_u64().unwrap() as usize;
    assert_eq!(&html[offset..offset + l[0]["text"].as_str().unwrap().len()], l[0]["text"].as_str().unwrap());
    assert_eq!(l[1]["kind"], "psb");
    let all = lines(&beian(&["number", "extract", "--all"], html));
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["error"]["code"], "NUMBER_PREFIX_WRONG");
}

#[test]
fn check_reports_and_exit_codes() {
    let clean = beian(&["check", "--today", "2026-11-28", &docs("first-filing-company.json")], "");
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));
    let text = String::from_utf8(clean.stdout).unwrap();
    assert!(text.contains("首次备案"), "{text}");

    let bad =
        beian(&["check", "--today", "2026-11-28", "--lang", "en", &docs("individual-with-errors.json")], "");
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(text.contains("Errors (block submission)") && text.contains("DOMAIN_TLD_NOT_APPROVED"), "{text}");

    let json = beian(
        &["check", "--today", "2026-11-28", "--format", "json", &docs("individual-with-errors.json")],
        "",
    );
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["submittable"], false);
    assert!(v["errors"].as_u64().unwrap() >= 1);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["message"]["zh-CN"].is_string() && f["source"].is_string())
    );
}

#[test]
fn check_reads_stdin_and_rejects_bad_input_in_one_line() {
    for (input, expect) in [
        ("{\"kind\": \"first_filing\"", "EOF while parsing"),
        ("[1,2]", "expected a JSON object"),
        ("{\"kind\": \"first_filing\", \"province\": \"99\"}", "not a filing province"),
        ("{\"order\": {}, \"contxt\": {}}", "unknown top-level field"),
    ] {
        let out = beian(&["check", "-"], input);
        assert_eq!(out.status.code(), Some(2), "{input}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expect), "{input}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"));
    }
    let out = beian(&["check", "/definitely/not/here.json"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = beian(&["check", "-"], "\u{ff}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn footer_prints_every_form_or_one_as_json_and_refuses_wrong_numbers() {
    let out = beian(
        &[
            "footer",
            "--icp",
            "粤ICP备2026000001号-2",
            "--psb",
            "粤公网安备44010602009975号",
            "--year",
            "2025",
            "--json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let j = &lines(&out)[0];
    for key in ["html", "wordpress", "hexo_next", "hugo", "vitepress"] {
        let s = j[key].as_str().unwrap();
        // Guangdong shows the subject number, never the site's -2.
        assert!(s.contains("粤ICP备2026000001号") && !s.contains("号-2"), "{key}: {s}");
        assert!(s.contains("44010602009975"), "{key}: {s}");
    }

    let out = beian(&["footer", "--icp", "浙ICP备2026012345号-1", "--format", "html"], "");
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<a href=\"https://beian.miit.gov.cn/\""), "{html}");
    assert!(html.contains(">浙ICP备2026012345号-1</a>"));

    for (args, flag) in [
        (vec!["footer", "--icp", "川ICP备2026000003号"], "--icp"),
        (vec!["footer", "--icp", "浙公网安备33010602009975号"], "--icp"),
        (vec!["footer", "--icp", "浙ICP备2026012345号-1", "--psb", "浙ICP备2026012345号"], "--psb"),
        (vec!["footer", "--icp", "苏ICP备2026000007号-1", "--lang", "en"], "--unit"),
    ] {
        let out = beian(&args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with(&format!("beian: {flag}")) && err.lines().count() == 1, "{args:?}: {err}");
    }
}

/// A one-thread HTTP server on loopback answering every request with `page`.
fn serve_page(page: &'static str) -> std::net::SocketAddr {
    use std::io::{Read, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                page.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(page.as_bytes());
        }
    });
    addr
}

#[test]
fn scan_reports_each_site_and_refuses_private_addresses_and_bad_input() {
    let addr =
        serve_page("<footer><a href=\"https://beian.miit.gov.cn/\">浙ICP备2026012345号-1</a></footer>");
    let url = format!("http://www.example.cn:{}/", addr.port());
    let expect = format!("{{\"url\": \"{url}\", \"icp\": \"浙ICP备2026012345号-1\"}}\n");
    let connect = addr.to_string();
    let out = beian(&["scan", "--expect", "-", "--connect-to", &connect, "--lang", "en"], &expect);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let l = lines(&out);
    assert_eq!(l[0]["verdict"], "compliant");
    assert_eq!(l[0]["numbers"][0]["relation"], "expected");

    // The same page expected to show another number: non-compliant, exit 1.
    let other = expect.replace("2026012345", "2026054321");
    let out = beian(&["scan", "--expect", "-", "--connect-to", &connect], &other);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out)[0]["verdict"], "non_compliant");

    // Without the test flags, loopback is refused before any connection.
    let out = beian(&["scan", &format!("http://127.0.0.1:{}/", addr.port())], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out)[0]["error"]["code"], "ADDRESS_NOT_PUBLIC");

    for (args, stdin, want) in [
        (vec!["scan"], "", "no sites"),
        (vec!["scan", "example.cn", "--concurrency", "0"], "", "must be positive"),
        (vec!["scan", "--expect", "-"], "{\"url\": \"x.cn\", \"icp\": \"川ICP备1号\"}\n", "-:1: icp"),
        (vec!["scan", "--expect", "-"], "{\"url\": \"ftp://x.cn\"}\n", "-:1: url"),
        (vec!["scan", "--expect", "-"], "not json\n", "-:1: not an expectation"),
    ] {
        let out = beian(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want) && err.lines().count() == 1, "{args:?}: {err}");
    }
}

#[test]
fn check_psb_reports_application_findings_with_exit_codes() {
    let clean = docs("psb-application.json");
    let out = beian(&["check", "--psb", &clean, "--today", "2026-11-28", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["submittable"], true);

    let mut app: Value = serde_json::from_str(&std::fs::read_to_string(&clean).unwrap()).unwrap();
    app["ip"] = "192.168.0.8".into();
    let out = beian(&["check", "--psb", "-", "--today", "2026-11-28", "--format", "json"], &app.to_string());
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "PSB_IP_INVALID");
    assert_eq!(report["findings"][0]["field"], "ip");

    // An order is not a PSB application: one line naming the problem, exit 2.
    let out = beian(&["check", "--psb", &docs("new-site.json")], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("PSB application") && err.lines().count() == 1, "{err}");
}

#[test]
fn scan_help_names_the_flag_for_staging_sites() {
    let out = beian(&["scan", "--help"], "");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--allow-private") && help.contains("staging"), "{help}");
}

/// `bench-seed` fills a database the store reads — subjects, orders, the name pieces the
/// queue's search starts from, the indexes built again — on SQLite, and on PostgreSQL when
/// `BEIAN_TEST_DATABASE_URL` is set.
#[test]
fn bench_seed_fills_a_database_the_store_reads() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(beian_store::testing::postgres(false));
    let dir = std::env::temp_dir().join(format!("beian-seed-{}", std::process::id()));
    let mut runs = vec![(dir.join("sqlite"), None)];
    runs.extend(pg.as_ref().map(|db| (dir.join("postgres"), Some(db.url()))));
    for (data_dir, url) in runs {
        let data = data_dir.to_string_lossy().into_owned();
        let mut args = vec!["bench-seed", "--data-dir", &data, "--orders", "40", "--spare-subjects", "7"];
        if let Some(url) = &url {
            args.extend(["--database-url", url]);
        }
        let out = beian(&args, "");
        assert!(out.status.success(), "{url:?}: {}", String::from_utf8_lossy(&out.stderr));
        let v = &lines(&out)[0];
        assert_eq!((v["orders"].as_u64(), v["spare_subjects"].as_u64()), (Some(40), Some(7)), "{v}");
        let ids: Vec<beian_store::Uuid> = std::fs::read_to_string(v["orders_file"].as_str().unwrap())
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(ids.len(), 40);
        rt.block_on(async {
            let store = match &url {
                Some(url) => beian_store::Store::connect(url).await.unwrap(),
                None => beian_store::Store::connect_sqlite(&data_dir.join("beian.db")).await.unwrap(),
            };
            for id in &ids {
                assert!(store.order(*id).await.unwrap().is_some(), "{url:?}: order {id}");
            }
            // Every fifth order is submitted, from the first: the eleventh, of 压测企业10有限公司.
            let f = beian_store::QueueFilter {
                state: "submitted".into(),
                subject_contains: Some("企业10".into()),
                ..Default::default()
            };
            let found: Vec<_> =
                store.review_queue(&f, None, 10).await.unwrap().into_iter().map(|r| r.id).collect();
            assert_eq!(found, vec![ids[10]], "{url:?}");
            store.close().await;
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
}
