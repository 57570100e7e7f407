//! Uploads cannot exhaust the server's memory (issue 16): a 309 KB PNG of 6300×6300 16-bit
//! RGBA pixels (317 MB decoded, under the pixel cap) is uploaded eight times at once, and the
//! process's peak resident memory stays under 400 MB. The server runs in this process, alone
//! in this test binary, so the process's peak (`VmHWM`) is the server's.

mod common;

use std::io::Write;

use beian_app::Role;
use common::{TestServer, create_example_order};
use reqwest::StatusCode;

const SIDE: u32 = 6300;
const UPLOADS: usize = 8;
const PEAK_LIMIT_KB: u64 = 400 * 1024;

/// The PNG, written row by row so that making it costs no memory either: every pixel zero,
/// which deflates to almost nothing.
fn sixteen_bit_rgba_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend(kind);
        out.extend(data);
        out.extend(crc32(kind.iter().chain(data)).to_be_bytes());
    }
    /// PNG's CRC-32 (ISO 3309), bit by bit: the chunks here are few.
    fn crc32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut ihdr = Vec::new();
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend(SIDE.to_be_bytes());
    // 16 bits per sample, colour type 6 (RGBA), deflate, adaptive filtering, no interlace.
    ihdr.extend([16, 6, 0, 0, 0]);
    let row = vec![0u8; 1 + SIDE as usize * 8];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..SIDE {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// The process's peak resident memory so far, in KiB (Linux).
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_huge_sixteen_bit_images_at_once_stay_within_memory() {
    let png = sixteen_bit_rgba_png();
    assert!(png.len() < 2 * 1024 * 1024, "under the upload limit: {} bytes", png.len());
    let srv = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    srv.account("owner@example.com", Role::Applicant).await;
    let owner = srv.login("owner@example.com").await;
    let (_, order, _) = create_example_order(&owner).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..UPLOADS {
        let c =
            common::Client { base: owner.base.clone(), http: owner.http.clone(), csrf: owner.csrf.clone() };
        let (order, png) = (order.clone(), png.clone());
        set.spawn(async move { c.upload(&order, "id_front", "subject.head", png, "image/png").await });
    }
    for r in set.join_all().await {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "IMAGE_TOO_LARGE", "{}", r.body);
    }
    let Some(peak) = peak_kb() else {
        eprintln!("SKIPPED the memory reading: no /proc/self/status here");
        return;
    };
    eprintln!("peak resident memory after {UPLOADS} uploads at once: {} MiB", peak / 1024);
    assert!(peak < PEAK_LIMIT_KB, "peak resident memory {peak} KiB, limit {PEAK_LIMIT_KB} KiB");
}
