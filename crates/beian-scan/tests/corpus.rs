//! The scanner against a real HTTP server on loopback serving a corpus of realistic footers
//! (`tests/corpus/`), plus the cases only a server can make: redirects, loops, slow and
//! dripping pages, huge pages, errors, non-HTML, and the limits on concurrency.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::message::Lang;
use beian_core::number::{self, Number};
use beian_scan::{Expected, FetchOptions, Limits, Scanner, SiteReport, Verdict};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Manifest {
    page: Vec<Page>,
}

#[derive(Debug, Clone, Deserialize)]
struct Page {
    host: String,
    encoding: String,
    content_type: String,
    icp: Option<String>,
    psb: Option<String>,
    unit: Option<String>,
    verdict: String,
    codes: Vec<String>,
}

fn corpus_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn manifest() -> Manifest {
    toml::from_str(&std::fs::read_to_string(corpus_dir().join("corpus.toml")).unwrap()).unwrap()
}

fn body_of(page: &Page) -> Vec<u8> {
    let html = std::fs::read_to_string(corpus_dir().join(format!("{}.html", page.host))).unwrap();
    match page.encoding.as_str() {
        "utf-8" => html.into_bytes(),
        "utf-8-bom" => [&b"\xEF\xBB\xBF"[..], html.as_bytes()].concat(),
        "gbk" => {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(&html);
            assert!(!unmappable, "{} has characters GBK cannot encode", page.host);
            bytes.into_owned()
        }
        other => panic!("unknown encoding {other}"),
    }
}

#[derive(Default)]
struct Server {
    pages: HashMap<String, (String, Vec<u8>)>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    user_agents: std::sync::Mutex<Vec<String>>,
}

/// A footer as a frame of the site serves it.
const FRAME_FOOTER: &str =
    "<html><body><p><a href=\"https://beian.miit.gov.cn/\">浙ICP备2026012345号-1</a></p></body></html>";
/// A footer as an external script writes it.
const SCRIPT_FOOTER: &str = "document.getElementById('icp').innerHTML = '<a href=\"https://beian.miit.gov.cn/\">浙ICP备2026012345号-1</a>';";

const FILLER: &str = "<p>我们专注于企业信息化服务十余年，为客户提供网站建设、云服务器托管与运维支持。</p>\n";

fn big_body(bytes: usize, footer_first: bool) -> Vec<u8> {
    let footer = "<p><a href=\"https://beian.miit.gov.cn/\">浙ICP备2026012345号-1</a></p>\n";
    let mut s = String::from("<html><head><meta charset=\"utf-8\"><title>大页面</title></head><body>\n");
    if footer_first {
        s.push_str(footer);
    }
    while s.len() < bytes {
        s.push_str(FILLER);
    }
    if !footer_first {
        s.push_str(footer);
    }
    s.push_str("</body></html>");
    s.into_bytes()
}

async fn handle(state: Arc<Server>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
    let name = host.split('.').next().unwrap_or("").to_owned();
    if let Some(ua) = headers.get(header::USER_AGENT).and_then(|h| h.to_str().ok()) {
        state.user_agents.lock().unwrap().push(ua.to_owned());
    }
    let port = host.rsplit(':').next().unwrap_or("80").to_owned();
    let html = |b: Vec<u8>| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], b).into_response();
    let js = |t: &str| ([(header::CONTENT_TYPE, "application/javascript")], t.to_owned()).into_response();
    match name.as_str() {
        "redirect" => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("http://redirect-2.corpus.test:{port}/start"))],
        )
            .into_response(),
        "redirect-2" if uri.path() == "/start" => {
            (StatusCode::FOUND, [(header::LOCATION, "/final")]).into_response()
        }
        "redirect-2" => html(state.pages["utf8-linked"].1.clone()),
        "loop" => (StatusCode::FOUND, [(header::LOCATION, "/again")]).into_response(),
        "to-file" => (StatusCode::FOUND, [(header::LOCATION, "file:///etc/passwd")]).into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            html(state.pages["utf8-linked"].1.clone())
        }
        "drip" => {
            let stream = futures_util::stream::unfold(0u32, |i| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"<p>...</p>\n")), i + 1))
            });
            ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(stream)).into_response()
        }
        // Pages whose footer is somewhere the home page points at.
        "meta-refresh" if uri.path() == "/" => html(
            b"<html><head><meta http-equiv=\"refresh\" content=\"0; url='/home/'\"></head><body>\xe8\xb7\xb3\xe8\xbd\xac</body></html>".to_vec(),
        ),
        "meta-refresh" => html(state.pages["utf8-linked"].1.clone()),
        "framed" | "framed-elsewhere" if uri.path() == "/" => {
            let src = if name == "framed" {
                "/footer.html".to_owned()
            } else {
                format!("http://cdn.elsewhere.test:{port}/footer.html")
            };
            html(format!("<html><body><p>welcome</p><iframe src=\"{src}\"></iframe></body></html>").into_bytes())
        }
        "framed" | "cdn" if uri.path() == "/footer.html" => html(FRAME_FOOTER.as_bytes().to_vec()),
        "ext-script" | "ext-script-cdn" | "ext-script-plain" if uri.path() == "/" => {
            let src = match name.as_str() {
                "ext-script" => "/js/footer.js".to_owned(),
                "ext-script-plain" => "/js/app.js".to_owned(),
                _ => format!("http://cdn.elsewhere.test:{port}/js/footer.js"),
            };
            html(format!("<html><body><div id=\"icp\"></div><script src=\"{src}\"></script></body></html>").into_bytes())
        }
        "ext-script" | "cdn" if uri.path() == "/js/footer.js" => js(SCRIPT_FOOTER),
        "ext-script-plain" => js("var analytics = { id: 42 };"),
        "huge" => html(big_body(8 << 20, false)),
        "huge-early" => html(big_body(8 << 20, true)),
        "missing" => (StatusCode::NOT_FOUND, "not found").into_response(),
        "image" => ([(header::CONTENT_TYPE, "image/png")], vec![0x89u8, b'P', b'N', b'G']).into_response(),
        "count" => {
            let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            state.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            state.in_flight.fetch_sub(1, Ordering::SeqCst);
            html(b"<p>ok</p>".to_vec())
        }
        _ => match state.pages.get(&name) {
            Some((ct, body)) => ([(header::CONTENT_TYPE, ct.clone())], body.clone()).into_response(),
            None => (StatusCode::NOT_FOUND, "unknown host").into_response(),
        },
    }
}

async fn serve(pages: &[Page]) -> (SocketAddr, Arc<Server>) {
    let mut server = Server::default();
    for p in pages {
        server.pages.insert(p.host.clone(), (p.content_type.clone(), body_of(p)));
    }
    let state = Arc::new(server);
    let s = state.clone();
    let app = axum::Router::new().fallback(move |h: HeaderMap, u: axum::http::Uri| handle(s.clone(), h, u));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, state)
}

fn scanner(addr: SocketAddr, limits: Limits) -> Scanner {
    let opts = FetchOptions {
        connect_to: Some(addr),
        timeout: Duration::from_secs(2),
        max_body: 1 << 20,
        ..FetchOptions::default()
    };
    Scanner::new(opts, limits, Lang::En).unwrap()
}

fn expected(p: &Page) -> Expected {
    let n = |s: &Option<String>| s.as_deref().map(|s| number::parse(s).unwrap().number);
    Expected {
        icp: n(&p.icp).map(|n| match n {
            Number::IcpFiling(n) => n,
            other => panic!("{other}"),
        }),
        psb: n(&p.psb).map(|n| match n {
            Number::Psb(n) => n,
            other => panic!("{other}"),
        }),
        unit_name: p.unit.clone(),
    }
}

fn url(name: &str, addr: SocketAddr) -> String {
    format!("http://{name}.corpus.test:{}/", addr.port())
}

fn codes(r: &SiteReport) -> Vec<String> {
    let mut c: Vec<String> = r.findings.iter().map(|f| f.code.as_str().to_owned()).collect();
    c.sort();
    c
}

fn verdict_name(v: Verdict) -> String {
    serde_json::to_value(v).unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_corpus_page_is_classified_as_expected() {
    let m = manifest();
    let (addr, server) = serve(&m.page).await;
    let s = scanner(addr, Limits::default());
    let sites: Vec<(String, Expected)> = m.page.iter().map(|p| (url(&p.host, addr), expected(p))).collect();
    let mut reports = HashMap::new();
    s.scan_all(sites, |r| {
        reports.insert(r.url.clone(), r);
    })
    .await;
    let mut failures = Vec::new();
    for p in &m.page {
        let r = &reports[&url(&p.host, addr)];
        let mut want = p.codes.clone();
        want.sort();
        if verdict_name(r.verdict) != p.verdict || codes(r) != want {
            failures.push(format!(
                "{}: got {} {:?}, want {} {:?}\n{}",
                p.host,
                verdict_name(r.verdict),
                codes(r),
                p.verdict,
                want,
                serde_json::to_string_pretty(r).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // Spot checks of what the reports say, beyond the verdicts.
    let gbk = &reports[&url("gbk-meta", addr)];
    assert_eq!(gbk.charset.as_deref(), Some("GBK"));
    assert_eq!(serde_json::to_value(gbk.charset_source).unwrap(), "meta");
    assert_eq!(gbk.title, "杭州某某网络科技有限公司 - 官方网站");
    let undeclared = &reports[&url("gbk-undeclared", addr)];
    assert_eq!(undeclared.charset.as_deref(), Some("gb18030"));
    let entities = &reports[&url("entities", addr)];
    assert_eq!(entities.numbers[0].number.as_deref(), Some("京ICP备16020626号-8"));
    assert_eq!(entities.numbers[0].link.as_deref(), Some("https://beian.miit.gov.cn/"));
    let ua = server.user_agents.lock().unwrap();
    assert!(ua.iter().all(|u| u.starts_with("beian-scan/")), "{ua:?}");
}

#[tokio::test]
async fn redirects_errors_limits_and_huge_pages() {
    let m = manifest();
    let (addr, _server) = serve(&m.page).await;
    let s = scanner(addr, Limits::default());
    let want_icp = Expected { icp: expected(&m.page[0]).icp, ..Expected::default() };
    let scan = |name: &str| {
        let s = s.clone();
        let e = want_icp.clone();
        let u = url(name, addr);
        async move { s.scan(&u, &e).await }
    };

    let r = scan("redirect").await;
    assert_eq!(r.verdict, Verdict::Compliant, "{r:?}");
    assert_eq!(r.redirects.len(), 2);
    assert_eq!(
        r.final_url.as_deref(),
        Some(format!("http://redirect-2.corpus.test:{}/final", addr.port()).as_str())
    );

    for (name, code) in [
        ("loop", "TOO_MANY_REDIRECTS"),
        ("to-file", "BAD_REDIRECT"),
        ("slow", "TIMEOUT"),
        ("drip", "TIMEOUT"),
    ] {
        let started = std::time::Instant::now();
        let r = scan(name).await;
        assert_eq!(r.verdict, Verdict::Unreachable, "{name}: {r:?}");
        assert_eq!(r.error.as_ref().unwrap().code, code, "{name}");
        assert!(started.elapsed() < Duration::from_secs(4), "{name} took {:?}", started.elapsed());
    }

    let r = scan("missing").await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::Unreachable, vec!["HTTP_STATUS".to_owned()]));
    let r = scan("image").await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::NonCompliant, vec!["NOT_HTML".to_owned()]));

    // Past the 1 MiB cap: the footer at the end is not seen, which is not called missing.
    let r = scan("huge").await;
    assert_eq!(r.verdict, Verdict::Incomplete, "{:?}", codes(&r));
    assert_eq!(r.bytes, 1 << 20);
    let r = scan("huge-early").await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::Compliant, vec!["BODY_TRUNCATED".to_owned()]));
}

/// Where the footer is not on the home page itself: behind a meta refresh (followed), in a
/// frame of the site (read), written by a script of the site (not judged); what another site
/// serves is not read.
#[tokio::test]
async fn refreshes_frames_and_scripts_of_the_site_are_read() {
    let m = manifest();
    let (addr, _server) = serve(&m.page).await;
    let s = scanner(addr, Limits::default());
    let want = Expected { icp: expected(&m.page[0]).icp, ..Expected::default() };
    let r = s.scan(&url("meta-refresh", addr), &want).await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::Compliant, vec![]), "{r:?}");
    assert_eq!(r.redirects.len(), 1);
    assert!(r.final_url.as_deref().unwrap().ends_with("/home/"), "{r:?}");

    let r = s.scan(&url("framed", addr), &want).await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::Compliant, vec!["NUMBER_IN_FRAME".to_owned()]), "{r:?}");
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.numbers[0].link.as_deref(), Some("https://beian.miit.gov.cn/"));

    let r = s.scan(&url("ext-script", addr), &want).await;
    assert_eq!((r.verdict, codes(&r)), (Verdict::NotInStaticHtml, vec!["ICP_NOT_IN_STATIC_HTML".to_owned()]));

    for other in ["framed-elsewhere", "ext-script-cdn", "ext-script-plain"] {
        let r = s.scan(&url(other, addr), &want).await;
        assert_eq!(
            (r.verdict, codes(&r)),
            (Verdict::NonCompliant, vec!["ICP_NUMBER_MISSING".to_owned()]),
            "{other}"
        );
        assert!(r.frames.is_empty(), "{other}");
    }
}

#[tokio::test]
async fn concurrency_is_bounded_per_host_and_overall() {
    let (addr, server) = serve(&[]).await;
    let s = scanner(addr, Limits { concurrency: 16, per_host: 2 });
    let sites =
        (0..10).map(|i| (format!("http://count.corpus.test:{}/?i={i}", addr.port()), Expected::default()));
    let mut n = 0;
    s.scan_all(sites, |r| {
        assert_eq!(r.status, Some(200));
        n += 1;
    })
    .await;
    assert_eq!(n, 10);
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 2);

    let (addr, server) = serve(&[]).await;
    let s = scanner(addr, Limits { concurrency: 3, per_host: 2 });
    // Distinct hosts that the server counts together (they all start with "count").
    let sites =
        (0..9).map(|i| (format!("http://count.h{i}.corpus.test:{}/", addr.port()), Expected::default()));
    s.scan_all(sites, |_| {}).await;
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_on_threads_reports_each_site_once_as_the_async_one_does_within_the_limits() {
    let m = manifest();
    let (addr, _) = serve(&m.page).await;
    let s = scanner(addr, Limits::default());
    let sites: Vec<(String, Expected)> = m.page.iter().map(|p| (url(&p.host, addr), expected(p))).collect();
    let mut one = HashMap::new();
    s.scan_all(sites.clone(), |r| {
        one.insert(r.url.clone(), (r.verdict, codes(&r)));
    })
    .await;
    let threaded = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        s.scan_on_threads(sites, 3, |r| all.push((r.url.clone(), (r.verdict, codes(&r))))).unwrap();
        all
    })
    .await
    .unwrap();
    assert_eq!(threaded.len(), one.len(), "each site once");
    assert_eq!(threaded.into_iter().collect::<HashMap<_, _>>(), one);

    // The limits hold across the threads: 2 per host, 3 in all over 2 threads.
    let (addr, server) = serve(&[]).await;
    let s = scanner(addr, Limits { concurrency: 16, per_host: 2 });
    let same_host: Vec<(String, Expected)> = (0..12)
        .map(|i| (format!("http://count.corpus.test:{}/?i={i}", addr.port()), Expected::default()))
        .collect();
    tokio::task::spawn_blocking(move || s.scan_on_threads(same_host, 2, |r| assert_eq!(r.status, Some(200))))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 2);
    let (addr, server) = serve(&[]).await;
    let s = scanner(addr, Limits { concurrency: 3, per_host: 2 });
    let hosts: Vec<(String, Expected)> = (0..12)
        .map(|i| (format!("http://count.h{i}.corpus.test:{}/", addr.port()), Expected::default()))
        .collect();
    tokio::task::spawn_blocking(move || s.scan_on_threads(hosts, 2, |_| {})).await.unwrap().unwrap();
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn loopback_and_private_addresses_are_refused_unless_explicitly_allowed() {
    let (addr, _server) = serve(&[]).await;
    let strict = Scanner::new(FetchOptions::default(), Limits::default(), Lang::En).unwrap();
    for target in [format!("http://127.0.0.1:{}/", addr.port()), format!("http://localhost:{}/", addr.port())]
    {
        let r = strict.scan(&target, &Expected::default()).await;
        assert_eq!(r.error.as_ref().map(|e| e.code.as_str()), Some("ADDRESS_NOT_PUBLIC"), "{target}: {r:?}");
        assert_eq!(r.verdict, Verdict::Unreachable);
    }
    let r = strict.scan("http://[::ffff:169.254.169.254]/latest/meta-data/", &Expected::default()).await;
    assert_eq!(r.error.as_ref().map(|e| e.code.as_str()), Some("ADDRESS_NOT_PUBLIC"), "{r:?}");

    let allowed = Scanner::new(
        FetchOptions { allow_private: true, ..FetchOptions::default() },
        Limits::default(),
        Lang::En,
    )
    .unwrap();
    let r = allowed.scan(&format!("http://127.0.0.1:{}/", addr.port()), &Expected::default()).await;
    assert_eq!(r.status, Some(404), "the test flag reaches loopback: {r:?}");
}
