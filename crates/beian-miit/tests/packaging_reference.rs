//! The packaging against an independent reference written with Python's standard `zipfile`,
//! `hashlib` and `base64` and the `cryptography` package's AES-CBC (PyPI), as the spec
//! describes it: what the reference seals from a zip archive, `seal` must give byte for byte;
//! what either side packs, the other opens; and `pwdHash` agrees.
//!
//! The zip archives themselves are not compared byte for byte: two deflate implementations
//! (zlib in Python, zlib-rs here) may both compress correctly to different bytes, and a
//! bureau reads either. Everything after the archive is deterministic and compared exactly.
//!
//! Needs `python3` with `cryptography`; without them the test says loudly that it skipped,
//! unless `BEIAN_TEST_REQUIRE_PYTHON` is set (CI sets it).

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use beian_miit::auth;
use beian_miit::package::{self, AesKey, Algorithms, HashAlgorithm};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const KEY: &str = "beian-demo-key16";
const IV: &str = "0102030405060708";

const REFERENCE: &str = r#"
import base64, hashlib, io, json, sys, zipfile
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

req = json.load(sys.stdin)
key, iv = req["key"].encode("ascii"), req["iv"].encode("ascii")
xml = base64.b64decode(req["xml"])

def aes(data, encrypt):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    if encrypt:
        p = padding.PKCS7(128).padder()
        e = c.encryptor()
        return e.update(p.update(data) + p.finalize()) + e.finalize()
    d = c.decryptor()
    u = padding.PKCS7(128).unpadder()
    return u.update(d.update(data) + d.finalize()) + u.finalize()

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(req["name"], xml)
archive = buf.getvalue()
out = {
    "archive": base64.b64encode(archive).decode(),
    "hash": base64.b64encode(hashlib.md5(archive).digest()).decode(),
    "info_plain": base64.b64encode(archive).decode(),
    "info_aes": base64.b64encode(aes(archive, True)).decode(),
    "pwd_hash": base64.b64encode(hashlib.md5((req["password"] + req["rand_val"]).encode("gbk")).digest()).decode(),
}
# Open what beian packed: decrypt, check the hash, unzip.
ours = base64.b64decode(req["ours_info"])
ours_archive = aes(ours, False)
assert base64.b64encode(hashlib.md5(ours_archive).digest()).decode() == req["ours_hash"], "hash"
with zipfile.ZipFile(io.BytesIO(ours_archive)) as z:
    names = z.namelist()
    assert names == [req["name"]], names
    out["ours_xml"] = base64.b64encode(z.read(names[0])).decode()
json.dump(out, sys.stdout)
"#;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("BEIAN_TEST_REQUIRE_PYTHON").is_some() {
            panic!("python3 with `cryptography` is required (BEIAN_TEST_REQUIRE_PYTHON is set)");
        }
        eprintln!(
            "SKIPPED: python3 with `cryptography` is not installed; the packaging reference did not run"
        );
    }
    ok
}

#[test]
fn packaging_matches_an_independent_python_reference() {
    if !python_ready() {
        return;
    }
    let (xml, _, _) =
        encoding_rs::GBK.encode("<?xml version=\"1.0\" encoding=\"GBK\"?><UploadData version=\"V.3.0\"><ICP><Qqdwid>1</Qqdwid></ICP></UploadData><!-- 阿里云计算有限公司 -->");
    let key = AesKey::new(KEY, IV).unwrap();
    let name = "U202612060000001";
    let ours = package::pack(name, &xml, Algorithms::AES, Some(&key)).unwrap();
    let rand_val = auth::rand_val(*b"twenty random bytes!");
    let req = serde_json::json!({
        "key": KEY, "iv": IV, "name": name, "xml": B64.encode(&xml),
        "password": "备案密码2026", "rand_val": rand_val,
        "ours_info": ours.info, "ours_hash": ours.hash,
    });
    let mut child = Command::new("python3")
        .args(["-c", REFERENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(req.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the reference failed: {}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = |k: &str| r[k].as_str().unwrap().to_owned();

    // The reference opened what beian packed.
    assert_eq!(B64.decode(s("ours_xml")).unwrap(), xml.as_ref());

    // From the reference's archive, `seal` gives the reference's bytes exactly.
    let archive = B64.decode(s("archive")).unwrap();
    let plain = package::seal(&archive, Algorithms::PLAIN, None).unwrap();
    assert_eq!((plain.info.as_str(), plain.hash.as_str()), (s("info_plain").as_str(), s("hash").as_str()));
    let aes = package::seal(&archive, Algorithms::AES, Some(&key)).unwrap();
    assert_eq!((aes.info.as_str(), aes.hash.as_str()), (s("info_aes").as_str(), s("hash").as_str()));

    // And beian opens what the reference packed.
    let (entry, back) = package::unpack(&s("info_aes"), &s("hash"), Algorithms::AES, Some(&key)).unwrap();
    assert_eq!((entry.as_str(), back.as_slice()), (name, xml.as_ref()));

    // pwdHash: base64(MD5(GBK(password + randVal))).
    assert_eq!(auth::pwd_hash("备案密码2026", &rand_val, HashAlgorithm::Md5), s("pwd_hash"));
}
