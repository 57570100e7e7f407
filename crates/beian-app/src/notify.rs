//! Notifications. A notification is a row in `messages` (recipient encrypted) plus a
//! `send_email` job, both written in the transaction of the state change that causes it; the
//! job runner delivers it through the [`Mailer`] port. Nothing is ever sent inline in a
//! request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use beian_core::message::Lang;
use beian_store::{MessageRow, NewJob, Tx, Uuid, new_id};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;

use crate::AppResult;
use crate::areas::Notify;
use crate::i18n::Msgs;
use crate::views::ReviewFinding;

/// The language of a stored `accounts.lang` (Chinese unless it says `en`).
pub(crate) fn lang_of(stored: Option<&str>) -> Lang {
    if stored == Some("en") { Lang::En } else { Lang::Zh }
}

/// One language's e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// A notification, written in both languages: each reader gets the one their account reads
/// (`accounts.lang`, the language last chosen on the pages), never both at once; and, for the
/// steps that need action, a short text message to the subject's responsible person (Chinese:
/// the phones are mainland numbers and MIIT's own texts are Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub zh: Mail,
    pub en: Mail,
    pub sms: Option<String>,
}

/// A notice's arguments in one language (most are the same in both).
pub(crate) type Args = Vec<(&'static str, String)>;

impl Notice {
    /// The notice `kind` from the message catalogues: `notice.<kind>.subject` and `.body` in
    /// each language, and `.sms` (Chinese) when `sms`; `{name}`s filled from `args` of that
    /// language; the bodies end with `link` (empty: none).
    pub(crate) fn from_catalogue(kind: &str, args: impl Fn(Lang) -> Args, link: &str, sms: bool) -> Notice {
        let text = |lang: Lang, part: &str| Msgs::fill(lang, &format!("notice.{kind}.{part}"), &args(lang));
        let mail = |lang: Lang| {
            let body = text(lang, "body");
            Mail {
                subject: text(lang, "subject"),
                body: if link.is_empty() { format!("{body}\n") } else { format!("{body}\n\n{link}\n") },
            }
        };
        Notice { zh: mail(Lang::Zh), en: mail(Lang::En), sms: sms.then(|| text(Lang::Zh, "sms")) }
    }

    /// The e-mail in `lang`.
    pub fn mail(&self, lang: Lang) -> &Mail {
        match lang {
            Lang::En => &self.en,
            _ => &self.zh,
        }
    }

    fn link(base: &str, id: Uuid) -> String {
        format!("{}/api/v1/orders/{id}", base.trim_end_matches('/'))
    }

    pub fn order_submitted(base: &str, id: Uuid) -> Notice {
        Notice::from_catalogue("order_submitted", |_| Vec::new(), &Self::link(base, id), false)
    }

    /// The reviewer's reasons, without their field paths (the order's page shows each beside
    /// its field, in words).
    pub fn order_returned(base: &str, id: Uuid, findings: &[ReviewFinding]) -> Notice {
        let reasons = |lang: Lang| -> Args {
            let list = findings
                .iter()
                .map(|f| {
                    let error = ("error", f.error.clone());
                    if f.suggestion.is_empty() {
                        Msgs::fill(lang, "notice.reason", &[error])
                    } else {
                        Msgs::fill(
                            lang,
                            "notice.reason_with_suggestion",
                            &[error, ("suggestion", f.suggestion.clone())],
                        )
                    }
                })
                .collect();
            vec![("reasons", list)]
        };
        Notice::from_catalogue("order_returned", reasons, &Self::link(base, id), true)
    }

    /// A filed site that a scan found out of compliance.
    pub fn site_out_of_compliance(number: &str, domain: &str, codes: &[&str]) -> Notice {
        let args = |_| {
            vec![("domain", domain.to_owned()), ("number", number.to_owned()), ("codes", codes.join(", "))]
        };
        Notice::from_catalogue("site_out_of_compliance", args, "", false)
    }

    /// A password-reset link (the token works once, within the hour).
    pub fn password_reset(base: &str, token: &str) -> Notice {
        let link = format!("{}/reset-password?token={token}", base.trim_end_matches('/'));
        Notice::from_catalogue("password_reset", |_| Vec::new(), &link, false)
    }

    /// An order left with its applicant for `idle` days, closed on `closes_on` unless touched.
    pub fn draft_reminder(base: &str, id: Uuid, idle: i64, closes_on: &str) -> Notice {
        let args = |_| vec![("idle", idle.to_string()), ("closes_on", closes_on.to_owned())];
        Notice::from_catalogue("draft_reminder", args, &Self::link(base, id), true)
    }

    /// An order closed after `idle` days with its applicant.
    pub fn draft_expired(base: &str, id: Uuid, idle: i64) -> Notice {
        Notice::from_catalogue(
            "draft_expired",
            |_| vec![("idle", idle.to_string())],
            &Self::link(base, id),
            false,
        )
    }

    fn psb_link(base: &str, id: Uuid) -> String {
        format!("{}/api/v1/psb/{id}", base.trim_end_matches('/'))
    }

    /// The site's ICP filing was cancelled while it holds a PSB number: the owner cancels that
    /// filing at the platform.
    pub fn psb_cancel_due(base: &str, id: Uuid, icp: &str, psb: &str) -> Notice {
        let args = |_| vec![("icp", icp.to_owned()), ("psb", psb.to_owned())];
        Notice::from_catalogue("psb_cancel_due", args, &Self::psb_link(base, id), false)
    }

    /// The PSB platform issued the site's number.
    pub fn psb_approved(base: &str, id: Uuid, icp: &str, psb: &str) -> Notice {
        let args = |_| vec![("icp", icp.to_owned()), ("psb", psb.to_owned())];
        Notice::from_catalogue("psb_approved", args, &Self::psb_link(base, id), true)
    }

    /// The PSB officer (or the platform) refused the application.
    pub fn psb_rejected(base: &str, id: Uuid, icp: &str) -> Notice {
        Notice::from_catalogue(
            "psb_rejected",
            |_| vec![("icp", icp.to_owned())],
            &Self::psb_link(base, id),
            true,
        )
    }

    /// A site without its PSB filing, `deadline.days_live` days after going live.
    pub fn psb_reminder(
        base: &str,
        id: Uuid,
        site: &str,
        icp: &str,
        deadline: &beian_core::psb::Deadline,
    ) -> Notice {
        let args = |_| {
            vec![
                ("site", site.to_owned()),
                ("icp", icp.to_owned()),
                ("live", deadline.days_live.to_string()),
                ("left", deadline.days_left.max(0).to_string()),
                ("due", deadline.due.to_string()),
            ]
        };
        Notice::from_catalogue("psb_reminder", args, &Self::psb_link(base, id), true)
    }

    pub fn order_approved(base: &str, id: Uuid) -> Notice {
        Notice::from_catalogue("order_approved", |_| Vec::new(), &Self::link(base, id), true)
    }

    pub fn materials_requested(base: &str, id: Uuid, note: &str) -> Notice {
        Notice::from_catalogue(
            "materials_requested",
            |_| vec![("note", note.to_owned())],
            &Self::link(base, id),
            true,
        )
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends e-mail. Implementations: SMTP, and the outbox (nothing leaves; admins read the
/// messages page).
pub trait Mailer: Send + Sync + fmt::Debug {
    fn send<'a>(&'a self, to: &'a str, subject: &'a str, body: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
    /// Whether messages actually leave the system.
    fn delivers(&self) -> bool;
}

/// Keeps messages in the outbox only (the default without SMTP settings).
#[derive(Debug, Default)]
pub struct OutboxMailer;

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn delivers(&self) -> bool {
        false
    }
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a local relay or a test server).
    None,
    /// STARTTLS, usually port 587.
    Starttls,
    /// Implicit TLS, usually port 465 (common with Chinese mail providers).
    Tls,
}

/// SMTP settings. The password is never printed.
#[derive(Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// Sends through an SMTP server with lettre (rustls for TLS).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpMailer(from {})", self.from)
    }
}

impl SmtpMailer {
    pub fn new(c: &SmtpConfig) -> anyhow::Result<SmtpMailer> {
        let builder = match c.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host)?,
        };
        let mut builder = builder.port(c.port).timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpMailer { transport: builder.build(), from: c.from.parse()? })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, to: &'a str, subject: &'a str, body: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let msg = Message::builder()
                .from(self.from.clone())
                .to(to.parse()?)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(body.to_owned())?;
            self.transport.send(msg).await?;
            Ok(())
        })
    }
    fn delivers(&self) -> bool {
        true
    }
}

/// Whether `s` is a sender address lettre accepts (`beian <noreply@example.com>`).
pub fn valid_mailbox(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

/// The job kind that delivers a queued message (e-mail or SMS).
pub const SEND_EMAIL: &str = "send_email";

/// Sends text messages. Implementations: the outbox (the default; admins read the messages
/// page, nothing costs money) and an HTTP gateway. Real SMS providers (Aliyun, Tencent) sign
/// requests their own way; an adapter for one is a new implementation of this trait.
pub trait SmsSender: Send + Sync + fmt::Debug {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
    fn delivers(&self) -> bool;
}

/// Keeps text messages in the outbox.
#[derive(Debug, Default)]
pub struct OutboxSms;

impl SmsSender for OutboxSms {
    fn send<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn delivers(&self) -> bool {
        false
    }
}

/// A generic HTTP SMS gateway: `POST url` with `{"phone", "text"}` and a bearer token; any
/// non-2xx answer is a failure, and the job runner retries with backoff.
pub struct HttpSmsGateway {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl fmt::Debug for HttpSmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpSmsGateway({})", self.url)
    }
}

impl HttpSmsGateway {
    pub fn new(url: &str, token: &str) -> anyhow::Result<HttpSmsGateway> {
        let client =
            reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).no_proxy().build()?;
        Ok(HttpSmsGateway { client, url: url.to_owned(), token: token.to_owned() })
    }
}

impl SmsSender for HttpSmsGateway {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let r = self
                .client
                .post(&self.url)
                .bearer_auth(&self.token)
                .json(&json!({ "phone": phone, "text": text }))
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "SMS gateway answered {}", r.status());
            Ok(())
        })
    }
    fn delivers(&self) -> bool {
        true
    }
}

/// Text messages per phone number per day (China time) before further ones are capped.
pub const SMS_DAILY_CAP: i64 = 10;

impl Notify<'_> {
    /// Queues a text message in the caller's transaction, unless the phone reached its daily
    /// cap — then the message is recorded as `capped` and nothing is sent.
    pub async fn queue_sms(self, tx: &mut Tx, mobile: &str, text: &str) -> AppResult<bool> {
        let Ok(m) = beian_core::id::Mobile::parse(mobile) else { return Ok(false) };
        let phone = m.value.to_string();
        let index = self.keys().blind_index("mobile", &phone);
        let now = self.clock().now();
        let cst = now.to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
        let midnight = cst.replace_time(time::Time::MIDNIGHT);
        let sent_today = tx.count_messages_to("sms", &index, beian_store::micros(midnight)).await?;
        let capped = sent_today >= SMS_DAILY_CAP;
        let id = new_id();
        let now_us = beian_store::micros(now);
        tx.insert_message(&MessageRow {
            id,
            channel: "sms".into(),
            recipient: self.keys().encrypt(&Self::message_aad(id), phone.as_bytes())?,
            recipient_masked: m.value.masked(),
            recipient_index: Some(index),
            subject: String::new(),
            body: text.to_owned(),
            status: if capped { "capped".into() } else { "queued".into() },
            created_at: now_us,
            sent_at: None,
            error: capped.then(|| format!("daily cap of {SMS_DAILY_CAP} reached")),
        })
        .await?;
        if !capped {
            tx.enqueue(
                &NewJob {
                    kind: SEND_EMAIL.into(),
                    payload: json!({ "message_id": id }).to_string(),
                    run_at: now_us,
                    max_attempts: 8,
                    dedup_key: Some(format!("{SEND_EMAIL}:{id}")),
                },
                now_us,
            )
            .await?;
        }
        Ok(!capped)
    }
}

impl Notify<'_> {
    pub(crate) fn message_aad(id: Uuid) -> String {
        format!("messages/{id}/recipient")
    }

    /// Queues `notice` to `to` in `lang`, in the caller's transaction: a message row and its
    /// delivery job.
    pub(crate) async fn queue_email(
        self,
        tx: &mut Tx,
        to: &str,
        notice: &Notice,
        lang: Lang,
    ) -> AppResult<()> {
        let mail = notice.mail(lang);
        let id = new_id();
        let now = self.now_us();
        tx.insert_message(&MessageRow {
            id,
            channel: "email".into(),
            recipient: self.keys().encrypt(&Self::message_aad(id), to.as_bytes())?,
            recipient_masked: crate::views::mask_email_public(to),
            recipient_index: Some(self.keys().blind_index("email", &to.trim().to_lowercase())),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
            status: "queued".into(),
            created_at: now,
            sent_at: None,
            error: None,
        })
        .await?;
        tx.enqueue(
            &NewJob {
                kind: SEND_EMAIL.into(),
                payload: json!({ "message_id": id }).to_string(),
                run_at: now,
                max_attempts: 8,
                dedup_key: Some(format!("{SEND_EMAIL}:{id}")),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// Takes one-time tokens (a password-reset link's) out of a message's stored body once it
    /// has left, or will never leave, the outbox: the copy kept for the record needs none.
    async fn forget_secrets(self, id: Uuid, body: &str) -> anyhow::Result<()> {
        let kept = crate::redact::redact_links(body);
        if kept != body {
            self.store().set_message_body(id, &kept).await?;
        }
        Ok(())
    }

    /// Delivers one queued message (the `send_email` job). Idempotent: a message already
    /// sent is not sent again.
    pub async fn deliver_message(self, id: Uuid) -> anyhow::Result<()> {
        let Some(m) = self.store().message(id).await? else { return Ok(()) };
        if m.status == "sent" || m.status == "outbox" {
            return Ok(());
        }
        let sms = m.channel == "sms";
        let delivers = if sms { self.sms().delivers() } else { self.mailer().delivers() };
        if !delivers {
            self.store().mark_message(id, "outbox", None, None).await?;
            self.forget_secrets(id, &m.body).await?;
            return Ok(());
        }
        let to = String::from_utf8(self.keys().decrypt(&Self::message_aad(id), &m.recipient)?)?;
        let sent = if sms {
            self.sms().send(&to, &m.body).await
        } else {
            self.mailer().send(&to, &m.subject, &m.body).await
        };
        match sent {
            Ok(()) => {
                self.store().mark_message(id, "sent", Some(self.now_us()), None).await?;
                self.forget_secrets(id, &m.body).await
            }
            Err(e) => {
                let error = crate::redact::redact_pii(&e.to_string());
                self.store().mark_message(id, "failed", None, Some(&error)).await?;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every notice is worded from the catalogues in full: no key left unfound, no argument
    /// left unfilled, the text message only where a step needs action.
    #[test]
    fn every_notice_is_worded_in_both_languages_with_its_arguments() {
        let (base, id) = ("https://beian.example.com", Uuid::nil());
        let deadline = beian_core::psb::Deadline {
            due: time::macros::date!(2026 - 12 - 31),
            days_live: 20,
            days_left: 10,
            overdue: false,
        };
        let finding = |suggestion: &str| ReviewFinding {
            field: "subject.name".into(),
            error: "名称不符".into(),
            suggestion: suggestion.into(),
        };
        let notices = [
            Notice::order_submitted(base, id),
            Notice::order_returned(base, id, &[finding(""), finding("按营业执照填写")]),
            Notice::site_out_of_compliance("浙ICP备2026012345号-1", "example.cn", &["FOOTER_MISSING"]),
            Notice::password_reset(base, "t0k3n"),
            Notice::draft_reminder(base, id, 30, "2027-01-05"),
            Notice::draft_expired(base, id, 60),
            Notice::psb_cancel_due(base, id, "浙ICP备2026012345号-1", "浙公网安备33010602000001号"),
            Notice::psb_approved(base, id, "浙ICP备2026012345号-1", "浙公网安备33010602000001号"),
            Notice::psb_rejected(base, id, "浙ICP备2026012345号-1"),
            Notice::psb_reminder(base, id, "示例网站", "浙ICP备2026012345号-1", &deadline),
            Notice::order_approved(base, id),
            Notice::materials_requested(base, id, "寄往杭州"),
        ];
        for n in &notices {
            for mail in [&n.zh, &n.en] {
                for text in [&mail.subject, &mail.body] {
                    assert!(!text.contains("notice.") && !text.contains('{'), "not worded in full: {text}");
                }
            }
            if let Some(sms) = &n.sms {
                assert!(sms.starts_with("【备案】") && !sms.contains('{'), "{sms}");
            }
        }
        let returned = &notices[1];
        assert!(
            returned.zh.body.contains("- 名称不符\n- 名称不符（按营业执照填写）\n"),
            "{}",
            returned.zh.body
        );
        assert!(returned.en.body.contains("- 名称不符 (按营业执照填写)\n"), "{}", returned.en.body);
        assert!(
            notices[9].en.body.contains("live for 20 days")
                && notices[9].en.body.contains("10 days are left")
        );
        assert_eq!(notices[0].sms, None, "a submitted order needs no action from the applicant");
    }
}
