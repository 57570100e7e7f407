//! Criterion benchmarks for the hot paths of beian-core:
//!
//! - resident-ID and USCC checks (every form keystroke and every bulk import),
//! - number extraction over a 1 MB page (the footer scanner),
//! - a full rule check of a first-filing order with three sites,
//! - a block-list lookup by `Host` with 100,000 entries (issue 15's target: ≥ 5 million
//!   lookups/s on one core, i.e. ≤ 200 ns per lookup), over a mix of blocked hosts, their
//!   subdomains with ports, and free hosts.
//!
//! Run: `cargo bench -p beian-core` (criterion prints time per iteration and throughput).

use std::hint::black_box;

use beian_core::id::{ResidentId, Uscc, resident_id_check_char, uscc_check_char};
use beian_core::number::extract;
use beian_core::rules::{Context, check};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::macros::date;

fn resident_ids(n: usize) -> Vec<String> {
    let regions = ["110105", "330106", "440305", "510104", "110103", "810000"];
    (0..n)
        .map(|i| {
            let first17 = format!(
                "{}{}{:02}{:02}{:03}",
                regions[i % regions.len()],
                1950 + i % 60,
                1 + i % 12,
                1 + i % 28,
                i % 1000
            );
            let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
            format!("{first17}{}", resident_id_check_char(&b))
        })
        .collect()
}

fn usccs(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let first17 = format!("91330106{:09}", 673_959_654 + i * 7919);
            let b: [u8; 17] = first17.as_bytes()[..17].try_into().unwrap();
            format!("{}{}", &first17[..17], uscc_check_char(&b))
        })
        .collect()
}

fn ids(c: &mut Criterion) {
    let today = date!(2026 - 11 - 28);
    let inputs = resident_ids(1024);
    let mut g = c.benchmark_group("identifiers");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("resident_id_check_x1024", |b| {
        b.iter(|| {
            let mut ok = 0;
            for s in &inputs {
                ok += usize::from(ResidentId::parse(black_box(s), today).is_ok());
            }
            assert_eq!(ok, inputs.len());
        })
    });
    let codes = usccs(1024);
    g.bench_function("uscc_check_x1024", |b| {
        b.iter(|| {
            let mut ok = 0;
            for s in &codes {
                ok += usize::from(Uscc::parse(black_box(s)).is_ok());
            }
            assert_eq!(ok, codes.len());
        })
    });
    g.finish();
}

/// A 1 MB page shaped like a Chinese corporate site: markup, inline script and style,
/// Chinese body text with common characters (备/证 included), and the footer at the end.
fn page() -> String {
    let block = r#"<div class="news-item"><a href="/news/2026/11/28/12345.html" title="新闻动态">准备工作的证明材料已经备齐</a>
<p>我们的云计算产品为企业提供稳定可靠的服务，客服热线 95187，传真 0571-85022088。证书编号 2026-001。</p>
<span class="date">2026-11-28</span><img src="/img/banner.png" alt="产品图片"/></div>
<script>var cfg = {"id": 12345, "name": "首页"}; function f(a, b) { return a < b && b > 0; }</script>
<style>.news-item{margin:0 auto;color:#333}</style>
"#;
    let mut html = String::with_capacity(1 << 20);
    html.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>示例</title></head><body>");
    while html.len() < (1 << 20) - 600 {
        html.push_str(block);
    }
    html.push_str(r#"<footer>© 2009-2026 Aliyun.com 版权所有 增值电信业务经营许可证：<a href="https://dxzhgl.miit.gov.cn/">浙B2-20080101-4</a>
<a href="https://beian.miit.gov.cn/" target="_blank">浙ICP备2021012345号-1</a>
<a href="https://beian.mps.gov.cn/#/query/webSearch?code=33010602009975"><img src="/beian.png"/>浙公网安备 33010602009975号</a></footer></body></html>"#);
    html
}

fn extraction(c: &mut Criterion) {
    let html = page();
    assert_eq!(extract(&html).iter().filter(|e| e.result.is_ok()).count(), 3);
    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Bytes(html.len() as u64));
    g.bench_function("extract_1mb_page", |b| b.iter(|| extract(black_box(&html)).len()));
    g.finish();
}

fn rule_check(c: &mut Criterion) {
    #[derive(serde::Deserialize)]
    struct Envelope {
        order: beian_core::model::Order,
        context: Context,
    }
    let e: Envelope =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    assert_eq!(e.order.websites.len(), 3);
    assert!(check(&e.order, &e.context).is_empty());
    let mut g = c.benchmark_group("rules");
    g.bench_function("check_first_filing_3_sites", |b| {
        b.iter(|| check(black_box(&e.order), black_box(&e.context)).len())
    });
    g.finish();
}

fn block_list(c: &mut Criterion) {
    use beian_core::blocklist::BlockSet;
    let tlds = ["com", "cn", "com.cn", "net", "top"];
    let entries: Vec<String> =
        (0..100_000).map(|i| format!("site{i:06}-unfiled.{}", tlds[i % tlds.len()])).collect();
    let set = BlockSet::new(entries.iter().map(String::as_str));
    assert_eq!(set.len(), 100_000);
    // 1,024 hosts as they arrive: a third blocked names, a third their subdomains with a port
    // and upper case, a third hosts that are not blocked.
    let hosts: Vec<String> = (0..1024)
        .map(|i| match i % 3 {
            0 => entries[i * 97].clone(),
            1 => format!("WWW.{}:443", entries[i * 89]),
            _ => format!("www.customer{i}.example.com"),
        })
        .collect();
    let blocked = hosts.iter().filter(|h| set.lookup(h).is_some()).count();
    assert_eq!(blocked, hosts.iter().enumerate().filter(|(i, _)| i % 3 != 2).count());
    let mut g = c.benchmark_group("blocklist");
    g.throughput(Throughput::Elements(hosts.len() as u64));
    g.bench_function("lookup_100k_entries_x1024", |b| {
        b.iter(|| hosts.iter().filter(|h| set.lookup(black_box(h)).is_some()).count())
    });
    g.finish();
}

criterion_group!(benches, ids, extraction, rule_check, block_list);
criterion_main!(benches);
