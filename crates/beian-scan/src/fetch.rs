//! Fetching home pages safely. Domains come from applicants, so every connection resolves
//! through [`SafeResolver`], which refuses loopback, private, link-local, CGNAT and metadata
//! addresses (the blocks are beian-core's data); redirects are followed by hand, one hop at a
//! time, each hop checked again, at most `max_redirects`; proxies from the environment are
//! ignored; the body is read in chunks and parsed as it streams, up to `max_body` bytes;
//! every fetch has a total deadline. This module never follows a URL that is not http(s).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use beian_core::id::PublicIp;
use encoding_rs::Encoding;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Serialize;

use crate::charset::{self, CharsetSource, PRESCAN_BYTES};
use crate::page::{self, PageReader, PageText};

/// How the scanner fetches.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// Deadline for one site, redirects and body included.
    pub timeout: Duration,
    pub max_redirects: usize,
    /// Bytes of body read at most (after decompression); the rest is not fetched.
    pub max_body: usize,
    pub user_agent: String,
    /// Allow loopback and private addresses (tests and local benchmarks only).
    pub allow_private: bool,
    /// Connect every host name to this address instead of resolving it (tests and the
    /// virtual-host benchmark); implies `allow_private` for that address only.
    pub connect_to: Option<SocketAddr>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_redirects: 5,
            max_body: 4 << 20,
            user_agent: format!("beian-scan/{} (ICP/PSB footer compliance check)", env!("CARGO_PKG_VERSION")),
            allow_private: false,
            connect_to: None,
        }
    }
}

/// Why a page could not be fetched. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not an http(s) URL: {0}")]
    InvalidUrl(String),
    #[error("{0} resolves only to non-public addresses")]
    AddressNotPublic(String),
    #[error("name lookup failed: {0}")]
    Dns(String),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect to an unusable location: {0}")]
    BadRedirect(String),
    #[error("HTTP error: {0}")]
    Protocol(String),
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl(_) => "INVALID_URL",
            FetchError::AddressNotPublic(_) => "ADDRESS_NOT_PUBLIC",
            FetchError::Dns(_) => "DNS_FAILED",
            FetchError::Connect(_) => "CONNECT_FAILED",
            FetchError::Tls(_) => "TLS_FAILED",
            FetchError::Timeout(_) => "TIMEOUT",
            FetchError::TooManyRedirects(_) => "TOO_MANY_REDIRECTS",
            FetchError::BadRedirect(_) => "BAD_REDIRECT",
            FetchError::Protocol(_) => "HTTP_ERROR",
        }
    }
}

/// One redirect hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redirect {
    pub status: u16,
    pub location: String,
}

/// A fetched home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub final_url: String,
    pub status: u16,
    pub redirects: Vec<Redirect>,
    pub content_type: Option<String>,
    /// The encoding used and where it came from; `None` when the body was not read.
    pub charset: Option<(&'static str, CharsetSource)>,
    pub bytes: u64,
    pub truncated: bool,
    /// `None` when the response is not HTML.
    pub page: Option<PageText>,
}

/// The resolver every connection goes through.
#[derive(Debug, Clone)]
pub struct SafeResolver {
    allow_private: bool,
    connect_to: Option<SocketAddr>,
}

/// The marker error for a refused address, found again in reqwest's error chain.
#[derive(Debug)]
struct NotPublic(String);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves only to non-public addresses", self.0)
    }
}

impl std::error::Error for NotPublic {}

/// Whether the scanner may connect to `ip`.
pub fn is_allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || PublicIp::new(ip).is_ok()
}

impl Resolve for SafeResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            if let Some(addr) = this.connect_to {
                return Ok(Box::new(std::iter::once(addr)) as Addrs);
            }
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                all.into_iter().filter(|a| is_allowed(a.ip(), this.allow_private)).collect();
            if allowed.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Fetches pages with one connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    opts: Arc<FetchOptions>,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        let resolver = SafeResolver { allow_private: opts.allow_private, connect_to: opts.connect_to };
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(opts.user_agent.clone())
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.timeout)
            // Each site is fetched once: an idle pool would hold a socket and its buffers per
            // host scanned (10,000 hosts, 10,000 sockets). Redirects open a new connection.
            .pool_max_idle_per_host(0)
            // A connection lives for one page under the fetch's own deadline: keep-alive
            // probes and a kernel user timeout would only cost five system calls per site.
            .tcp_keepalive(None)
            .tcp_keepalive_interval(None)
            .tcp_keepalive_retries(None)
            .tcp_user_timeout(None)
            .tcp_nodelay(true)
            .dns_resolver(Arc::new(resolver))
            .build()
            .map_err(|e| FetchError::Protocol(e.to_string()))?;
        Ok(Fetcher { client, opts: Arc::new(opts) })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// Fetches `url` (redirects followed) within the total deadline.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        let url = parse_target(url)?;
        let secs = self.opts.timeout.as_secs().max(1);
        tokio::time::timeout(self.opts.timeout, self.fetch_inner(url))
            .await
            .map_err(|_| FetchError::Timeout(secs))?
    }

    async fn fetch_inner(&self, url: Url) -> Result<Fetched, FetchError> {
        let (url, resp, redirects) = self.follow(url).await?;
        self.read(url, resp, redirects).await
    }

    /// Fetches a page's resource (an external script): its first `cap` bytes, whatever its
    /// type, under the same address rules, redirects and deadline as a page; `None` unless
    /// it answered 2xx.
    pub async fn fetch_resource(&self, url: &str, cap: usize) -> Result<Option<Vec<u8>>, FetchError> {
        let url = parse_target(url)?;
        let secs = self.opts.timeout.as_secs().max(1);
        let read = async {
            let (_, mut resp, _) = self.follow(url).await?;
            if !resp.status().is_success() {
                return Ok(None);
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
                let room = cap - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() == cap {
                    break;
                }
            }
            Ok(Some(body))
        };
        tokio::time::timeout(self.opts.timeout, read).await.map_err(|_| FetchError::Timeout(secs))?
    }

    /// Sends the request, following redirects: the final URL, its response and the hops.
    async fn follow(&self, mut url: Url) -> Result<(Url, reqwest::Response, Vec<Redirect>), FetchError> {
        let mut redirects = Vec::new();
        loop {
            self.check_host(&url)?;
            let resp = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
                .header(reqwest::header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
                // One page per site: the server may close once it has answered (it then keeps
                // the TIME_WAIT, as for any one-shot client) instead of waiting for more.
                .header(reqwest::header::CONNECTION, "close")
                .send()
                .await
                .map_err(|e| self.classify(&e))?;
            let status = resp.status();
            if status.is_redirection()
                && let Some(loc) = resp.headers().get(reqwest::header::LOCATION)
            {
                let loc = String::from_utf8_lossy(loc.as_bytes()).into_owned();
                let next = url.join(loc.trim()).map_err(|_| FetchError::BadRedirect(loc.clone()))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::BadRedirect(loc));
                }
                redirects.push(Redirect { status: status.as_u16(), location: next.to_string() });
                if redirects.len() > self.opts.max_redirects {
                    return Err(FetchError::TooManyRedirects(self.opts.max_redirects));
                }
                url = next;
                continue;
            }
            return Ok((url, resp, redirects));
        }
    }

    /// Sorts a reqwest error into a stable code by walking its causes.
    fn classify(&self, e: &reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut chain = String::new();
        while let Some(s) = source {
            if let Some(np) = s.downcast_ref::<NotPublic>() {
                return FetchError::AddressNotPublic(np.0.clone());
            }
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&s.to_string());
            source = s.source();
        }
        let lower = chain.to_ascii_lowercase();
        if e.is_timeout() {
            FetchError::Timeout(self.opts.timeout.as_secs().max(1))
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup")
            || lower.contains("name or service")
        {
            FetchError::Dns(chain)
        } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            FetchError::Tls(chain)
        } else if e.is_connect() {
            FetchError::Connect(chain)
        } else {
            FetchError::Protocol(chain)
        }
    }

    /// IP-literal hosts skip the resolver, so they are checked here.
    fn check_host(&self, url: &Url) -> Result<(), FetchError> {
        if self.opts.connect_to.is_some() {
            return Ok(());
        }
        let host = url.host_str().unwrap_or("");
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else {
            return Ok(());
        };
        if is_allowed(ip, self.opts.allow_private) {
            Ok(())
        } else {
            Err(FetchError::AddressNotPublic(ip.to_string()))
        }
    }

    async fn read(
        &self,
        url: Url,
        mut resp: reqwest::Response,
        redirects: Vec<Redirect>,
    ) -> Result<Fetched, FetchError> {
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut fetched = Fetched {
            final_url: url.to_string(),
            status,
            redirects,
            content_type: content_type.clone(),
            charset: None,
            bytes: 0,
            truncated: false,
            page: None,
        };
        if !is_html(content_type.as_deref()) {
            return Ok(fetched);
        }
        let header_charset = content_type.as_deref().and_then(charset_param);
        let cap = self.opts.max_body;
        let mut body =
            Body { header_charset, head: Vec::with_capacity(PRESCAN_BYTES), reader: None, undeclared: false };
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
            let room = cap - fetched.bytes as usize;
            let piece = &chunk[..chunk.len().min(room)];
            fetched.bytes += piece.len() as u64;
            body.feed(piece, &mut fetched);
            if chunk.len() > room {
                fetched.truncated = true;
                break;
            }
            if fetched.bytes as usize == cap {
                // Exactly at the cap: cut only if more was coming.
                fetched.truncated = resp.chunk().await.ok().flatten().is_some_and(|c| !c.is_empty());
                break;
            }
        }
        fetched.page = Some(body.finish(&mut fetched));
        Ok(fetched)
    }
}

/// A body being read: the first bytes are held until the encoding is known, then streamed.
/// A page that declares no encoding is held whole (up to the cap) and decided at the end.
struct Body {
    header_charset: Option<String>,
    head: Vec<u8>,
    reader: Option<PageReader>,
    undeclared: bool,
}

impl Body {
    fn feed(&mut self, piece: &[u8], fetched: &mut Fetched) {
        if let Some(r) = self.reader.as_mut() {
            r.write(piece);
            return;
        }
        self.head.extend_from_slice(piece);
        if !self.undeclared && self.head.len() >= PRESCAN_BYTES {
            self.start_streaming(fetched);
        }
    }

    fn start_streaming(&mut self, fetched: &mut Fetched) {
        match charset::declared(self.header_charset.as_deref(), &self.head) {
            Some((enc, source)) => {
                let mut r = PageReader::new(enc);
                r.write(&std::mem::take(&mut self.head));
                fetched.charset = Some((enc.name(), source));
                self.reader = Some(r);
            }
            None => self.undeclared = true,
        }
    }

    fn finish(mut self, fetched: &mut Fetched) -> PageText {
        if self.reader.is_none() && !self.undeclared {
            self.start_streaming(fetched);
        }
        match self.reader {
            Some(r) => r.finish(),
            None => {
                let (enc, source): (&'static Encoding, CharsetSource) =
                    charset::undeclared(&self.head, fetched.truncated);
                fetched.charset = Some((enc.name(), source));
                page::read_all(enc, &self.head)
            }
        }
    }
}

/// HTML, or no type at all (many small sites send none).
fn is_html(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime.is_empty() || mime == "text/html" || mime == "application/xhtml+xml" || mime == "text/plain"
}

/// The `charset` parameter of a Content-Type value.
fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Accepts `https://host/…`, `http://host/…` or a bare `host[/path]` (read as http).
pub fn parse_target(input: &str) -> Result<Url, FetchError> {
    let t = input.trim();
    let with_scheme = if t.contains("://") { t.to_owned() } else { format!("http://{t}") };
    let url = Url::parse(&with_scheme).map_err(|_| FetchError::InvalidUrl(t.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(t.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::InvalidUrl(t.to_owned()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_http_urls_without_credentials() {
        assert_eq!(parse_target("example.com").unwrap().as_str(), "http://example.com/");
        assert_eq!(parse_target(" https://例子.中国/a ").unwrap().host_str(), Some("xn--fsqu00a.xn--fiqs8s"));
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "http://",
            "http://u:p@example.com/",
            "javascript:alert(1)",
        ] {
            assert!(matches!(parse_target(bad), Err(FetchError::InvalidUrl(_))), "{bad}");
        }
    }

    #[test]
    fn private_and_metadata_addresses_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "::1",
            "fc00::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_allowed(ip, false), "{ip}");
            assert!(is_allowed(ip, true), "{ip}");
        }
        assert!(is_allowed("47.96.1.1".parse().unwrap(), false));
    }

    #[test]
    fn html_types_and_charset_parameters() {
        assert!(is_html(None));
        assert!(is_html(Some("text/html; charset=GBK")));
        assert!(!is_html(Some("image/png")));
        assert_eq!(charset_param("text/html; Charset=\"gb2312\"").as_deref(), Some("gb2312"));
        assert_eq!(charset_param("text/html"), None);
    }
}
