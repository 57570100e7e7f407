//! Test support (feature `testing`): validating files with an outside validator, `xmllint`
//! from Debian's libxml2-utils, against the published XSDs in `spec/`.
//!
//! Without `xmllint` the check says loudly that it skipped, unless
//! `BEIAN_TEST_REQUIRE_XMLLINT` is set (CI sets it), when it fails.

use std::path::{Path, PathBuf};

/// The published XSDs shipped with this crate.
pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec")
}

/// Validates every file against `xsd` (a file name in [`spec_dir`], e.g. `upload.xsd`) in one
/// `xmllint` run. `Err` carries xmllint's report.
pub fn xmllint(xsd: &str, files: &[PathBuf]) -> Result<(), String> {
    if files.is_empty() {
        return Ok(());
    }
    let out = match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(spec_dir().join(xsd))
        .args(files)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("BEIAN_TEST_REQUIRE_XMLLINT").is_some() {
                return Err(
                    "xmllint is not installed (Debian: libxml2-utils) and BEIAN_TEST_REQUIRE_XMLLINT is set"
                        .into(),
                );
            }
            eprintln!(
                "SKIPPED: xmllint is not installed (Debian: libxml2-utils); {} file(s) not validated",
                files.len()
            );
            return Ok(());
        }
        Err(e) => return Err(format!("xmllint: {e}")),
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// Validates one file given as bytes against `xsd`; panics with xmllint's report when it
/// refuses the file.
pub fn assert_valid(xsd: &str, bytes: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "beian-miit-xmllint-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("file.xml");
    std::fs::write(&path, bytes).expect("the file written");
    let verdict = xmllint(xsd, std::slice::from_ref(&path));
    std::fs::remove_dir_all(&dir).ok();
    if let Err(report) = verdict {
        panic!("xmllint refused the file against {xsd}:\n{report}");
    }
}
