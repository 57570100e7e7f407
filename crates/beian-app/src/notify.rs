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

use crate::views::ReviewFinding;
use crate::{App, AppResult};

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

impl Notice {
    /// A notice whose bodies end with `link` (empty: none).
    pub(crate) fn new(zh: (String, String), en: (String, String), link: &str, sms: Option<String>) -> Notice {
        let mail = |(subject, body): (String, String)| Mail {
            subject,
            body: if link.is_empty() { format!("{body}\n") } else { format!("{body}\n\n{link}\n") },
        };
        Notice { zh: mail(zh), en: mail(en), sms }
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
        Notice::new(
            ("备案订单已提交".into(), "您的备案订单已提交，接入商将在1–2个工作日内完成初审。".into()),
            (
                "Filing order submitted".into(),
                "Your filing order was submitted; the provider reviews it within 1–2 working days.".into(),
            ),
            &Self::link(base, id),
            None,
        )
    }

    /// The reviewer's reasons, without their field paths (the order's page shows each beside
    /// its field, in words).
    pub fn order_returned(base: &str, id: Uuid, findings: &[ReviewFinding]) -> Notice {
        let reasons = |with_suggestion: &dyn Fn(&ReviewFinding) -> String| -> String {
            findings.iter().map(|f| format!("- {}\n", with_suggestion(f))).collect()
        };
        let zh = reasons(&|f| {
            if f.suggestion.is_empty() {
                f.error.clone()
            } else {
                format!("{}（{}）", f.error, f.suggestion)
            }
        });
        let en = reasons(&|f| {
            if f.suggestion.is_empty() { f.error.clone() } else { format!("{} ({})", f.error, f.suggestion) }
        });
        Notice::new(
            (
                "备案订单被退回，请修改".into(),
                format!(
                    "您的备案订单未通过初审，请按以下原因修改后重新提交（订单页面在每个字段旁标出了原因）：\n\n{zh}"
                ),
            ),
            (
                "Filing order returned for changes".into(),
                format!(
                    "Your filing order was returned; fix these and submit again (the order's page shows each reason beside its field):\n\n{en}"
                ),
            ),
            &Self::link(base, id),
            Some("【备案】您的备案订单未通过初审，请登录修改后重新提交。".into()),
        )
    }

    /// A filed site that a scan found out of compliance.
    pub fn site_out_of_compliance(number: &str, domain: &str, codes: &[&str]) -> Notice {
        let codes = codes.join(", ");
        Notice::new(
            (
                format!("网站备案展示检查未通过：{domain}"),
                format!(
                    "网站{domain}（{number}）的首页未通过备案合规检查（{codes}）。请确认网站可以访问，并在首页底部展示备案号（含“号”字）且链接到 https://beian.miit.gov.cn/ 。"
                ),
            ),
            (
                format!("Site footer check failed: {domain}"),
                format!(
                    "The home page of {domain} ({number}) failed the filing compliance check ({codes}). Make sure the site is reachable and its footer shows the number (with its 号) linked to https://beian.miit.gov.cn/."
                ),
            ),
            "",
            None,
        )
    }

    /// A password-reset link (the token works once, within the hour).
    pub fn password_reset(base: &str, token: &str) -> Notice {
        let link = format!("{}/reset-password?token={token}", base.trim_end_matches('/'));
        Notice::new(
            ("重置密码".into(), "请在1小时内打开以下链接设置新密码（只能使用一次）。如果不是您本人操作，请忽略本邮件。".into()),
            (
                "Reset your password".into(),
                "Open this link within an hour to set a new password (it works once). If you did not ask for it, ignore this e-mail.".into(),
            ),
            &link,
            None,
        )
    }

    /// An order left with its applicant for `idle` days, closed on `closes_on` unless touched.
    pub fn draft_reminder(base: &str, id: Uuid, idle: i64, closes_on: &str) -> Notice {
        Notice::new(
            (
                format!("备案订单将于{closes_on}关闭"),
                format!(
                    "您的备案订单已{idle}天未操作。若在{closes_on}前仍未修改或提交，订单将自动关闭，已填写的信息需重新填写。"
                ),
            ),
            (
                format!("Filing order closes on {closes_on}"),
                format!(
                    "Your filing order has not been touched for {idle} days. Unless it is changed or submitted before {closes_on}, it will be closed and its details must be entered again."
                ),
            ),
            &Self::link(base, id),
            Some(format!(
                "【备案】您的备案订单已{idle}天未操作，将于{closes_on}自动关闭，请及时完善并提交。"
            )),
        )
    }

    /// An order closed after `idle` days with its applicant.
    pub fn draft_expired(base: &str, id: Uuid, idle: i64) -> Notice {
        Notice::new(
            (
                "备案订单已因长期未操作关闭".into(),
                format!("您的备案订单已{idle}天未操作，已自动关闭。如仍需备案，请重新发起。"),
            ),
            (
                "Filing order closed after a long pause".into(),
                format!(
                    "Your filing order was closed after {idle} days without a change. Start a new one to file."
                ),
            ),
            &Self::link(base, id),
            None,
        )
    }

    fn psb_link(base: &str, id: Uuid) -> String {
        format!("{}/api/v1/psb/{id}", base.trim_end_matches('/'))
    }

    /// The site's ICP filing was cancelled while it holds a PSB number: the owner cancels that
    /// filing at the platform.
    pub fn psb_cancel_due(base: &str, id: Uuid, icp: &str, psb: &str) -> Notice {
        Notice::new(
            (
                format!("请注销公安联网备案：{psb}"),
                format!(
                    "网站{icp}的ICP备案已注销。请登录全国互联网安全管理服务平台（beian.mps.gov.cn）注销其公安联网备案{psb}，并从网站页脚撤下两个备案号。"
                ),
            ),
            (
                format!("Cancel the PSB filing: {psb}"),
                format!(
                    "The ICP filing of {icp} was cancelled. Sign in to the public-security platform (beian.mps.gov.cn) to cancel its PSB filing {psb}, and take both numbers off the site's footer."
                ),
            ),
            &Self::psb_link(base, id),
            None,
        )
    }

    /// The PSB platform issued the site's number.
    pub fn psb_approved(base: &str, id: Uuid, icp: &str, psb: &str) -> Notice {
        Notice::new(
            (
                format!("公安联网备案已通过：{psb}"),
                format!(
                    "网站{icp}的公安联网备案已通过，公安备案号为{psb}。请在网站首页底部展示公安备案号及图标，并链接到全国互联网安全管理服务平台；可直接复制申请页面上的页脚代码。"
                ),
            ),
            (
                format!("PSB filing approved: {psb}"),
                format!(
                    "The public-security filing of {icp} was approved: {psb}. Show it with its badge at the bottom of the home page, linked to the national platform; the application page has a ready-to-paste footer."
                ),
            ),
            &Self::psb_link(base, id),
            Some(format!("【备案】网站{icp}的公安联网备案已通过，公安备案号：{psb}。")),
        )
    }

    /// The PSB officer (or the platform) refused the application.
    pub fn psb_rejected(base: &str, id: Uuid, icp: &str) -> Notice {
        Notice::new(
            (
                format!("公安联网备案未通过：{icp}"),
                format!("网站{icp}的公安联网备案未通过。请登录查看原因，修改后重新提交。"),
            ),
            (
                format!("PSB filing refused: {icp}"),
                format!(
                    "The public-security filing of {icp} was refused. Sign in to see why, correct it and submit again."
                ),
            ),
            &Self::psb_link(base, id),
            Some(format!("【备案】网站{icp}的公安联网备案未通过，请登录查看原因并修改。")),
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
        let (live, left, due) = (deadline.days_live, deadline.days_left.max(0), deadline.due);
        Notice::new(
            (
                format!("请在{due}前办理公安联网备案：{site}"),
                format!(
                    "网站“{site}”（{icp}）已开通{live}天。依据《计算机信息网络国际联网安全保护管理办法》，须在开通后30日内（{due}前）办理公安联网备案，还剩{left}天；逾期可能被警告或停机整顿。"
                ),
            ),
            (
                format!("File with the public-security platform by {due}: {site}"),
                format!(
                    "The site “{site}” ({icp}) has been live for {live} days. It must be filed with the public-security platform within 30 days of going live (by {due}); {left} days are left. Late filing can lead to a warning or suspension."
                ),
            ),
            &Self::psb_link(base, id),
            Some(format!(
                "【备案】网站{icp}已开通{live}天，须在开通后30日内（{due}前）办理公安联网备案，还剩{left}天。"
            )),
        )
    }

    pub fn order_approved(base: &str, id: Uuid) -> Notice {
        Notice::new(
            (
                "备案订单已通过初审".into(),
                "您的备案订单已通过接入商初审，即将提交管局。请留意工信部发送的核验短信，须在24小时内完成核验。".into(),
            ),
            (
                "Filing order approved by the provider".into(),
                "Your order passed the provider's review and goes to the bureau next. Watch for the MIIT verification SMS: it must be answered within 24 hours.".into(),
            ),
            &Self::link(base, id),
            Some("【备案】您的备案已通过接入商初审，请留意工信部核验短信并在24小时内完成核验。".into()),
        )
    }

    pub fn materials_requested(base: &str, id: Uuid, note: &str) -> Notice {
        Notice::new(
            ("请邮寄备案资料".into(), format!("请按以下说明邮寄纸质资料：\n\n{note}")),
            (
                "Please mail the filing materials".into(),
                format!("Please mail the paper materials as described:\n\n{note}"),
            ),
            &Self::link(base, id),
            Some("【备案】接入商请您邮寄备案资料，详情请查看邮件。".into()),
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

impl App {
    /// Queues a text message in the caller's transaction, unless the phone reached its daily
    /// cap — then the message is recorded as `capped` and nothing is sent.
    pub async fn queue_sms(&self, tx: &mut Tx, mobile: &str, text: &str) -> AppResult<bool> {
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

impl App {
    pub(crate) fn message_aad(id: Uuid) -> String {
        format!("messages/{id}/recipient")
    }

    /// Queues `notice` to `to` in `lang`, in the caller's transaction: a message row and its
    /// delivery job.
    pub(crate) async fn queue_email(
        &self,
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
    async fn forget_secrets(&self, id: Uuid, body: &str) -> anyhow::Result<()> {
        let kept = crate::redact::redact_links(body);
        if kept != body {
            self.store().set_message_body(id, &kept).await?;
        }
        Ok(())
    }

    /// Delivers one queued message (the `send_email` job). Idempotent: a message already
    /// sent is not sent again.
    pub async fn deliver_message(&self, id: Uuid) -> anyhow::Result<()> {
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
