//! The scanner benchmark's server: one loopback listener answering `site<N>.bench.test` with
//! a realistic home page (about 20 KB) whose footer shows `浙ICP备2026<N:06>号-1`, linked.
//! Every tenth site shows no number, so the scan has both verdicts to reach.
//!
//! `cargo run --release -p beian-scan --example vhost-server -- 127.0.0.1:8181`

use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;

const PARAGRAPH: &str = "<p>我们专注于企业信息化服务十余年，为客户提供网站建设、云服务器托管、数据备份与7×24小时运维支持，\
                         服务覆盖长三角地区三千余家中小企业。</p>\n";

fn page(n: u32, filler: &str) -> String {
    let footer = if n % 10 == 9 {
        "<p>© 2026 某某网络科技有限公司</p>".to_owned()
    } else {
        format!(
            "<p>© 2026 某某网络科技有限公司 <a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">浙ICP备2026{n:06}号-1</a></p>"
        )
    };
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>站点 {n}</title>\
         <link rel=\"stylesheet\" href=\"/main.css\"></head><body><div class=\"nav\"><a href=\"/\">首页</a> \
         <a href=\"/about\">关于我们</a></div><div class=\"main\">{filler}</div><div class=\"footer\">{footer}</div>\
         <script src=\"/app.js\"></script></body></html>"
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8181".into());
    let filler: &'static str = Box::leak(PARAGRAPH.repeat(20_000 / PARAGRAPH.len()).into_boxed_str());
    let app = axum::Router::new().fallback(move |headers: HeaderMap| async move {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let n: u32 = host
            .strip_prefix("site")
            .and_then(|r| r.split('.').next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(n, filler)).into_response()
    });
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    eprintln!("vhost server on {addr}");
    axum::serve(listener, app).await.expect("serve");
}
