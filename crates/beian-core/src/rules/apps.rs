//! Rules specific to apps (rules.md §2.5): platforms, package ids, the signature field that
//! is MD5 on Android but SHA-1 on iOS, the public key as an RSA modulus, and app names.

use std::collections::BTreeSet;

use super::{Cx, arg, word};
use crate::model::Platform;
use crate::number::ServiceKind;

pub(super) fn check(cx: &mut Cx<'_>) {
    let adding = cx.order.kind.adds_services();
    for (i, app) in cx.order.apps.iter().enumerate() {
        let path = format!("apps[{i}]");
        if let Some(w) = cx.set.words.app_marketing.find_in(&app.name.to_lowercase()) {
            cx.emit("APP_NAME_MARKETING", format!("{path}.name"), &[arg("word", w.to_owned())]);
        }
        if app.name.chars().any(is_emoji) {
            cx.emit("APP_NAME_EMOJI", format!("{path}.name"), &[]);
        }
        // Mini programs and quick apps are identified by the platform, not by builds.
        if app.kind != ServiceKind::App {
            continue;
        }
        if adding && app.platforms.is_empty() {
            cx.emit("APP_PLATFORM_MISSING", format!("{path}.platforms"), &[]);
        }
        let mut seen = BTreeSet::new();
        for (j, p) in app.platforms.iter().enumerate() {
            let pf = format!("{path}.platforms[{j}]");
            let label = match p.platform {
                Platform::Android => "Android",
                Platform::Ios => "iOS",
                Platform::Harmonyos => "HarmonyOS",
            };
            if !seen.insert(label) {
                cx.emit("APP_PLATFORM_DUPLICATE", format!("{pf}.platform"), &[arg("platform", label)]);
            }
            if !package_id_ok(&p.package_id) {
                cx.emit(
                    "APP_PACKAGE_ID_INVALID",
                    format!("{pf}.package_id"),
                    &[arg("value", p.package_id.trim().to_owned())],
                );
            }
            let hash = p.signature_hash.trim().replace(':', "");
            let (len, expected) = match p.platform {
                Platform::Ios => (40, "arg.hash_ios_sha1"),
                _ => (32, "arg.hash_android_md5"),
            };
            if hash.len() != len || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                cx.emit(
                    "APP_SIGNATURE_FORMAT",
                    format!("{pf}.signature_hash"),
                    &[arg("platform", label), word("expected", expected)],
                );
            }
            if !modulus_ok(&p.public_key) {
                cx.emit("APP_PUBLIC_KEY_FORMAT", format!("{pf}.public_key"), &[]);
            }
        }
    }
}

/// Reverse-domain identifiers: at least two segments of letters, digits and underscores,
/// each starting with a letter (Android's rule; iOS also allows hyphens).
fn package_id_ok(id: &str) -> bool {
    let id = id.trim();
    let parts: Vec<&str> = id.split('.').collect();
    id.len() <= 255
        && parts.len() >= 2
        && parts.iter().all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// An RSA modulus written as decimal or hex digits (optionally with 0x or colons), long
/// enough to be a real key (≥ 512 bits) — not a PEM or base64 block.
fn modulus_ok(key: &str) -> bool {
    let k = key.trim();
    if k.contains("BEGIN") || k.contains(['+', '/', '=']) {
        return false;
    }
    let k = k.strip_prefix("0x").unwrap_or(k).replace([':', ' ', '\n'], "");
    let decimal = k.chars().all(|c| c.is_ascii_digit()) && k.len() >= 155;
    let hex = k.chars().all(|c| c.is_ascii_hexdigit()) && k.len() >= 128;
    decimal || hex
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF | 0xFE0F)
}
