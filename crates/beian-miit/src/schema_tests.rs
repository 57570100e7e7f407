//! The generated types against the published XSDs: random valid instances of every root
//! are written, validated by `xmllint` (an outside validator), and read back strictly to the
//! same value — in GBK and in UTF-8.

use crate::schema::*;
use crate::xml::sample::{Gen, Sample};
use crate::xml::{self, Mode, Root};

const SEEDS: u64 = 40;

fn round_trip<T: Root + Sample + PartialEq>(xsd: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("beian-miit-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for seed in 0..SEEDS {
        let doc = T::sample(&mut Gen::new(seed));
        let gbk = xml::to_gbk(&doc).unwrap_or_else(|e| panic!("{tag} seed {seed}: {e}"));
        let back: T =
            xml::from_bytes(&gbk, Mode::Strict).unwrap_or_else(|e| panic!("{tag} seed {seed}: {e}"));
        assert!(back == doc, "{tag} seed {seed}: GBK round trip changed the document");
        let utf8 = xml::to_text(&doc, "UTF-8").unwrap();
        let back: T = xml::from_bytes(utf8.as_bytes(), Mode::Strict).unwrap();
        assert!(back == doc, "{tag} seed {seed}: UTF-8 round trip changed the document");
        let path = dir.join(format!("{tag}{seed}.xml"));
        std::fs::write(&path, &gbk).unwrap();
        files.push(path);
    }
    let verdict = crate::testing::xmllint(xsd, &files);
    std::fs::remove_dir_all(&dir).ok();
    verdict.unwrap_or_else(|report| panic!("{tag}: xmllint refused a generated file:\n{report}"));
}

#[test]
fn upload_files_match_the_xsd() {
    round_trip::<upload::UploadData>("upload.xsd", "upload");
}

#[test]
fn download_files_match_the_xsd() {
    round_trip::<download::DownloadData>("download.xsd", "download");
}

#[test]
fn answers_match_their_xsds() {
    round_trip::<upload_return::Return>("upload-return.xsd", "upload-return");
    round_trip::<download_return::Return>("download-return.xsd", "download-return");
    round_trip::<downloadack_return::Return>("downloadack-return.xsd", "ack-return");
    round_trip::<querypreviousupload_return::Return>("querypreviousupload-return.xsd", "previous-return");
    round_trip::<querybeianstatus_return::Return>("querybeianstatus-return.xsd", "status-return");
    round_trip::<verifybamm_return::Return>("beian/verifybamm-return.xsd", "bamm-return");
}
