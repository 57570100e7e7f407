//! What one webhook request looks like in each format, and whether its answer means "taken".
//! Pure: the caller passes the time and the secret, and sends the request.
//!
//! - `json`: the event as JSON, signed as [Standard Webhooks](https://www.standardwebhooks.com/)
//!   (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//!   "id.timestamp.body">` under the `whsec_` secret); any 2xx answer is taken.
//! - `wecom` (企业微信群机器人): `{"msgtype":"markdown","markdown":{"content"}}`, content at most
//!   4096 bytes; taken when the answer's `errcode` is 0. The robot's key is in its address.
//! - `dingtalk` (钉钉自定义机器人): `{"msgtype":"markdown","markdown":{"title","text"}}`; with a
//!   加签 secret, `timestamp` (ms) and `sign` (url-encoded base64 HMAC-SHA256 of
//!   "timestamp\nsecret" under the secret) are added to the address; taken when `errcode` is 0.
//! - `feishu` (飞书自定义机器人): `{"msg_type":"text","content":{"text"}}`; with a secret,
//!   `timestamp` (s) and `sign` (base64 HMAC-SHA256 of nothing under "timestamp\nsecret") go in
//!   the body; taken when `code` (or the older `StatusCode`) is 0.
//!
//! Must never put personal data in a request: events carry ids, states, numbers and domains.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use beian_core::message::Lang;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::i18n::Msgs;

/// How a webhook's requests are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Wecom,
    Dingtalk,
    Feishu,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Wecom, Format::Dingtalk, Format::Feishu];

    pub fn parse(s: &str) -> Option<Format> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Wecom => "wecom",
            Format::Dingtalk => "dingtalk",
            Format::Feishu => "feishu",
        }
    }

    /// The format's name in `lang`.
    pub fn label(self, lang: Lang) -> String {
        Msgs::of(lang).get(&format!("webhook.format.{}", self.as_str())).to_owned()
    }
}

/// One event as every webhook receives it (the `json` format's body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// The event's id: the same in every webhook it goes to.
    pub id: Uuid,
    /// Its kind, e.g. `order.state_changed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// What happened, by kind (ids, states, numbers, domains; never personal data).
    pub data: Value,
    /// One line for people, in Chinese and English.
    pub summary: Summary,
    /// Where a person acts on it, when somewhere.
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub zh: String,
    pub en: String,
}

/// One request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// WeCom takes at most 4096 bytes of markdown.
const WECOM_MAX: usize = 4096;

fn hmac_sha256(key: &[u8], text: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(text);
    m.finalize().into_bytes().to_vec()
}

/// A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> anyhow::Result<String> {
    let mut b = [0u8; 32];
    beian_crypto::random_bytes(&mut b)?;
    Ok(format!("whsec_{}", STANDARD.encode(b)))
}

/// The key bytes of a `whsec_` secret; `None` when it is not one (or too short to sign with).
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    (key.len() >= 24 && key.len() <= 64).then_some(key)
}

/// The Standard Webhooks signature header's value for one request.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, format!("{id}.{timestamp}.{body}").as_bytes())))
}

/// DingTalk's 加签: base64 HMAC-SHA256 of "timestamp\nsecret" under the secret.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    STANDARD.encode(hmac_sha256(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes()))
}

/// Feishu's signature: base64 HMAC-SHA256 of nothing under "timestamp\nsecret".
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    STANDARD.encode(hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b""))
}

/// Percent-encodes a base64 text for a query string (its `+`, `/` and `=`).
fn query_escape(s: &str) -> String {
    s.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

/// The event as a chat message: bold Chinese line, English line, link.
fn markdown(e: &Event) -> String {
    let mut md = format!("**{}**\n\n{}", e.summary.zh, e.summary.en);
    if let Some(link) = &e.link {
        let (zh, en) = Msgs::both("webhook.open");
        md.push_str(&format!("\n\n[{zh} / {en}]({link})"));
    }
    md
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The request that delivers `event` as `delivery` (stable across retries) at `now_ms`.
pub fn request(
    format: Format,
    url: &str,
    secret: Option<&str>,
    delivery: Uuid,
    event: &Event,
    now_ms: i64,
) -> Request {
    let json_header = ("content-type", "application/json".to_owned());
    let now_s = now_ms.div_euclid(1000);
    match format {
        Format::Json => {
            let body = serde_json::to_string(event).expect("an event serializes");
            let id = delivery.to_string();
            let mut headers =
                vec![json_header, ("webhook-id", id.clone()), ("webhook-timestamp", now_s.to_string())];
            if let Some(key) = secret.and_then(secret_key) {
                headers.push(("webhook-signature", standard_signature(&key, &id, now_s, &body)));
            }
            Request { url: url.to_owned(), headers, body }
        }
        Format::Wecom => {
            let body =
                json!({ "msgtype": "markdown", "markdown": { "content": cut(markdown(event), WECOM_MAX) } });
            Request { url: url.to_owned(), headers: vec![json_header], body: body.to_string() }
        }
        Format::Dingtalk => {
            let body = json!({
                "msgtype": "markdown",
                "markdown": { "title": event.summary.zh, "text": markdown(event) },
            });
            let url = match secret {
                Some(s) => {
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{sep}timestamp={now_ms}&sign={}", query_escape(&dingtalk_sign(s, now_ms)))
                }
                None => url.to_owned(),
            };
            Request { url, headers: vec![json_header], body: body.to_string() }
        }
        Format::Feishu => {
            let mut text = format!("{}\n{}", event.summary.zh, event.summary.en);
            if let Some(link) = &event.link {
                text.push_str(&format!("\n{link}"));
            }
            let mut body = json!({ "msg_type": "text", "content": { "text": text } });
            if let Some(s) = secret {
                body["timestamp"] = json!(now_s.to_string());
                body["sign"] = json!(feishu_sign(s, now_s));
            }
            Request { url: url.to_owned(), headers: vec![json_header], body: body.to_string() }
        }
    }
}

/// Whether an answer means the request was taken; `Err` says why not. The robots answer 200
/// with an error code in the body when they refuse.
pub fn taken(format: Format, status: u16, body: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let code = |keys: &[&str]| -> Result<(), String> {
        let v: Value = serde_json::from_str(body).map_err(|_| "the answer is not JSON".to_owned())?;
        match keys.iter().find_map(|k| v.get(*k).and_then(Value::as_i64)) {
            Some(0) => Ok(()),
            Some(c) => Err(format!("error code {c}")),
            None => Err("the answer has no result code".to_owned()),
        }
    };
    match format {
        Format::Json => Ok(()),
        Format::Wecom | Format::Dingtalk => code(&["errcode"]),
        Format::Feishu => code(&["code", "StatusCode"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(zh: &str) -> Event {
        Event {
            id: Uuid::nil(),
            kind: "ping".into(),
            timestamp: "2026-12-06T10:00:00+08:00".into(),
            data: json!({}),
            summary: Summary { zh: zh.into(), en: "test".into() },
            link: Some("https://beian.example.cn/review".into()),
        }
    }

    #[test]
    fn formats_round_trip_by_name() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("slack"), None);
    }

    #[test]
    fn a_standard_webhooks_secret_is_checked() {
        let s = new_secret().unwrap();
        assert_eq!(secret_key(&s).map(|k| k.len()), Some(32));
        assert_ne!(s, new_secret().unwrap());
        assert_eq!(secret_key("whsec_c2hvcnQ="), None, "too short");
        assert_eq!(secret_key("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"), None, "no prefix");
        assert_eq!(secret_key("whsec_!!!"), None);
    }

    #[test]
    fn wecom_markdown_is_cut_to_its_limit_on_a_character() {
        let r = request(Format::Wecom, "http://x/", None, Uuid::nil(), &event(&"备".repeat(3000)), 0);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        let content = v["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= WECOM_MAX && content.len() > WECOM_MAX - 3);
    }

    #[test]
    fn dingtalk_signs_in_the_address_and_keeps_its_query() {
        let r = request(
            Format::Dingtalk,
            "http://x/robot/send?access_token=t",
            Some("SECabc"),
            Uuid::nil(),
            &event("测试"),
            1_700_000_000_123,
        );
        assert!(
            r.url.starts_with("http://x/robot/send?access_token=t&timestamp=1700000000123&sign="),
            "{}",
            r.url
        );
        assert!(!r.url.contains('+') && !r.url[r.url.find("sign=").unwrap() + 5..].contains('='));
        let plain = request(Format::Dingtalk, "http://x/robot/send", None, Uuid::nil(), &event("测试"), 1);
        assert_eq!(plain.url, "http://x/robot/send");
    }

    #[test]
    fn robots_refuse_with_a_code_in_a_200() {
        assert_eq!(taken(Format::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert_eq!(
            taken(Format::Dingtalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#),
            Err("error code 310000".into())
        );
        assert_eq!(taken(Format::Feishu, 200, r#"{"code":0,"msg":"success"}"#), Ok(()));
        assert_eq!(taken(Format::Feishu, 200, r#"{"StatusCode":0}"#), Ok(()));
        assert_eq!(
            taken(Format::Feishu, 200, r#"{"code":19021,"msg":"sign match fail"}"#),
            Err("error code 19021".into())
        );
        assert!(taken(Format::Wecom, 200, "ok").is_err());
        assert_eq!(taken(Format::Json, 204, ""), Ok(()));
        assert_eq!(taken(Format::Json, 500, ""), Err("HTTP 500".into()));
    }
}
