//! In-process cost of checking one page: the streaming parse and the assessment, on a
//! realistic ~20 KB home page in UTF-8 and in GBK.
//!
//! `cargo bench -p beian-scan`

use std::hint::black_box;

use beian_core::number::{Number, parse};
use beian_scan::assess::{Expected, assess};
use beian_scan::page::read_all;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PARAGRAPH: &str = "<p>我们专注于企业信息化服务十余年，为客户提供网站建设、云服务器托管、数据备份与7×24小时运维支持，\
                         服务覆盖长三角地区三千余家中小企业。<a href=\"/news/1\">了解更多</a></p>\n";

fn page() -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>某某网络科技</title></head><body>\
         <div class=\"main\">{}</div><div class=\"footer\"><p>© 2026 某某网络科技有限公司 \
         <a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">浙ICP备2026012345号-1</a> \
         <a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=33010602009975\"><img src=\"/ga.png\">浙公网安备33010602009975号</a></p></div>\
         <script>var _hmt = _hmt || [];</script></body></html>",
        PARAGRAPH.repeat(20_000 / PARAGRAPH.len())
    )
}

fn bench(c: &mut Criterion) {
    let html = page();
    let (gbk, _, _) = encoding_rs::GBK.encode(&html);
    let expected = Expected {
        icp: match parse("浙ICP备2026012345号-1").unwrap().number {
            Number::IcpFiling(n) => Some(n),
            _ => None,
        },
        psb: match parse("浙公网安备33010602009975号").unwrap().number {
            Number::Psb(n) => Some(n),
            _ => None,
        },
        unit_name: None,
    };
    let mut g = c.benchmark_group("page");
    g.throughput(Throughput::Bytes(html.len() as u64));
    g.bench_function("parse_utf8", |b| b.iter(|| read_all(encoding_rs::UTF_8, black_box(html.as_bytes()))));
    g.bench_function("parse_gbk", |b| b.iter(|| read_all(encoding_rs::GBK, black_box(&gbk))));
    let text = read_all(encoding_rs::UTF_8, html.as_bytes());
    g.bench_function("assess", |b| b.iter(|| assess(black_box(&text), &expected)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
