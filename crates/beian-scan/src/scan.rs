//! Scanning many sites: fetch and check each, with bounded concurrency overall and per host,
//! and one report per site in the order they finish.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use beian_core::message::{Lang, Message, Problem};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::assess::{self, Code, Expected, Finding, FoundNumber, Severity, Verdict};
use crate::charset::CharsetSource;
use crate::fetch::{FetchError, FetchOptions, Fetched, Fetcher, Redirect, parse_target};
use crate::further::{self, Further};

/// How many sites at once, overall and per host.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    pub per_host: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { concurrency: 32, per_host: 2 }
    }
}

/// A finding as printed, with its message in the chosen language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingView {
    pub code: Code,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub message: String,
}

impl FindingView {
    pub fn of(f: &Finding, lang: Lang) -> FindingView {
        FindingView { code: f.code, severity: f.severity, detail: f.detail.clone(), message: f.message(lang) }
    }
}

/// Everything found about one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteReport {
    pub url: String,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<Redirect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset_source: Option<CharsetSource>,
    pub bytes: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_refresh: Option<String>,
    /// The site's own frames whose text was read with the page's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<String>,
    pub numbers: Vec<FoundNumber>,
    pub findings: Vec<FindingView>,
    pub elapsed_ms: u64,
}

/// The scanner: one fetcher (one connection pool) and the limits.
#[derive(Debug, Clone)]
pub struct Scanner {
    fetcher: Fetcher,
    limits: Limits,
    lang: Lang,
    hosts: Arc<Mutex<HashMap<String, Weak<Semaphore>>>>,
}

impl Scanner {
    pub fn new(fetch: FetchOptions, limits: Limits, lang: Lang) -> Result<Scanner, FetchError> {
        let limits = Limits { concurrency: limits.concurrency.max(1), per_host: limits.per_host.max(1) };
        Ok(Scanner { fetcher: Fetcher::new(fetch)?, limits, lang, hosts: Arc::default() })
    }

    /// The semaphore of a host, shared while any scan of it runs.
    fn host_slot(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = hosts.get(host).and_then(Weak::upgrade) {
            return s;
        }
        let s = Arc::new(Semaphore::new(self.limits.per_host));
        hosts.insert(host.to_owned(), Arc::downgrade(&s));
        if hosts.len() > 4 * self.limits.concurrency {
            hosts.retain(|_, w| w.strong_count() > 0);
        }
        s
    }

    /// Fetches and checks one site.
    pub async fn scan(&self, url: &str, expected: &Expected) -> SiteReport {
        let started = Instant::now();
        let host = parse_target(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        let slot = self.host_slot(&host);
        let _permit = slot.acquire().await.expect("the semaphore is never closed");
        // A page that shows no number may send the visitor on, or hold its footer in a frame
        // or a script of its own: what it points at is read before it is judged.
        let psb_expected = expected.psb.is_some();
        let first = self.fetcher.fetch(url).await;
        let result = further::follow_refreshes(&self.fetcher, first, psb_expected).await;
        let (result, assessed, more) = match result {
            Ok(mut f) => {
                // Most pages show their numbers: judged once, nothing more is fetched.
                let assessed = f.page.as_ref().map(|p| assess::assess(p, expected));
                if assessed.as_ref().is_none_or(|a| assess::shows_numbers(&a.numbers, psb_expected)) {
                    (Ok(f), assessed, Further::default())
                } else {
                    let budget = self.fetcher.options().timeout;
                    let look = further::look_further(&self.fetcher, &mut f, psb_expected);
                    let more = tokio::time::timeout(budget, look).await.unwrap_or_default();
                    // What was read further may have changed the page: judged again.
                    (Ok(f), None, more)
                }
            }
            Err(e) => (Err(e), None, Further::default()),
        };
        let mut report = self.report(url, result, expected, assessed);
        if more.number_in_frame {
            report.findings.push(FindingView::of(
                &Finding::new(Code::NumberInFrame, more.frames.first().cloned()),
                self.lang,
            ));
        }
        report.frames = more.frames;
        report.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
        report
    }

    /// The report of one site; `assessed` is the page's assessment when it is already known.
    fn report(
        &self,
        url: &str,
        result: Result<Fetched, FetchError>,
        expected: &Expected,
        assessed: Option<assess::Assessment>,
    ) -> SiteReport {
        let mut report = SiteReport {
            url: url.to_owned(),
            verdict: Verdict::Unreachable,
            error: None,
            status: None,
            final_url: None,
            redirects: Vec::new(),
            charset: None,
            charset_source: None,
            bytes: 0,
            title: String::new(),
            meta_refresh: None,
            frames: Vec::new(),
            numbers: Vec::new(),
            findings: Vec::new(),
            elapsed_ms: 0,
        };
        let f = match result {
            Ok(f) => f,
            Err(e) => {
                let finding = Finding::new(Code::SiteUnreachable, Some(e.code().to_owned()));
                report.error = Some(Message { code: e.code().to_owned(), message: e.to_string() });
                report.findings.push(FindingView::of(&finding, self.lang));
                return report;
            }
        };
        let mut findings = Vec::new();
        if !(200..300).contains(&f.status) {
            findings.push(Finding::new(Code::HttpStatus, Some(f.status.to_string())));
        }
        match &f.page {
            None => findings.push(Finding::new(Code::NotHtml, f.content_type.clone())),
            Some(page) if findings.is_empty() => {
                let a = assessed.unwrap_or_else(|| assess::assess(page, expected));
                report.numbers = a.numbers;
                findings.extend(a.findings);
                report.title = page.title.trim().to_owned();
                report.meta_refresh = page.meta_refresh.clone();
            }
            Some(_) => {}
        }
        if f.truncated {
            findings.push(Finding::new(Code::BodyTruncated, Some(f.bytes.to_string())));
        }
        report.verdict = assess::verdict(&findings);
        report.findings = findings.iter().map(|x| FindingView::of(x, self.lang)).collect();
        report.status = Some(f.status);
        report.final_url = Some(f.final_url);
        report.redirects = f.redirects;
        report.charset = f.charset.map(|c| c.0.to_owned());
        report.charset_source = f.charset.map(|c| c.1);
        report.bytes = f.bytes;
        report
    }

    /// Scans every site on `threads` threads (the calling one among them), each with a
    /// runtime of its own, at most `concurrency` sites at once in all, calling `each` on the
    /// calling thread as reports arrive; returns once every site is reported. For a batch
    /// (the CLI): a connection's reads then wake the task on the thread that opened it, never
    /// another, which a work-stealing runtime cannot promise (a fifth of a scan's time went
    /// to such wake-ups), and the calling thread takes the others' reports between its own
    /// rather than sleeping until each arrives.
    pub fn scan_on_threads(
        &self,
        sites: Vec<(String, Expected)>,
        threads: usize,
        mut each: impl FnMut(SiteReport),
    ) -> std::io::Result<()> {
        let threads = threads.clamp(1, self.limits.concurrency);
        let queue = Mutex::new(sites.into_iter());
        // The overall limit, shared out: the first threads take the remainder.
        let share =
            |t: usize| self.limits.concurrency / threads + usize::from(t < self.limits.concurrency % threads);
        let run = |t: usize, report: &mut dyn FnMut(SiteReport)| -> std::io::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let next = || queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            runtime.block_on(async {
                let mut stream = futures_util::stream::iter(std::iter::from_fn(next))
                    .map(|(url, expected)| async move { self.scan(&url, &expected).await })
                    .buffer_unordered(share(t));
                while let Some(r) = stream.next().await {
                    report(r);
                }
            });
            Ok(())
        };
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel();
            let workers: Vec<_> = (1..threads)
                .map(|t| {
                    let (tx, run) = (tx.clone(), &run);
                    std::thread::Builder::new()
                        .name(format!("beian-scan-{t}"))
                        .spawn_scoped(scope, move || run(t, &mut |r| drop(tx.send(r))))
                })
                .collect::<std::io::Result<_>>()?;
            drop(tx);
            run(0, &mut |r| {
                each(r);
                rx.try_iter().for_each(&mut each);
            })?;
            rx.iter().for_each(&mut each);
            for w in workers {
                // A panic in a worker is a defect; its sites would be missing from the reports.
                w.join().map_err(|_| std::io::Error::other("a scan thread panicked"))??;
            }
            Ok(())
        })
    }

    /// Scans every site, at most `concurrency` at once, calling `each` as reports arrive.
    pub async fn scan_all<I>(&self, sites: I, mut each: impl FnMut(SiteReport))
    where
        I: IntoIterator<Item = (String, Expected)>,
    {
        let mut stream = futures_util::stream::iter(sites)
            .map(|(url, expected)| async move { self.scan(&url, &expected).await })
            .buffer_unordered(self.limits.concurrency);
        while let Some(r) = stream.next().await {
            each(r);
        }
    }
}
