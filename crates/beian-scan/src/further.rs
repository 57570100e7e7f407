//! What a home page points at that decides its footer, fetched when the page itself shows no
//! number: the page a `<meta http-equiv="refresh">` sends the visitor to (judged instead of
//! the empty one), the site's own frames (their text joins the page's), and the site's own
//! external scripts (one that mentions a filing number or link means the footer is written by
//! JavaScript: *not in static HTML*, never *non-compliant*).
//!
//! Only the same site is followed (the same host, or the same registrable domain): a footer
//! is the site's own, and a third party's analytics script says nothing about it. This module
//! never judges anything; `assess` does.

use beian_core::id::DomainName;
use beian_core::number;
use reqwest::Url;

use crate::fetch::{FetchError, Fetched, Fetcher, Redirect};
use crate::page::{PageText, mentions_number};

/// Frames fetched per page, and scripts read per page.
const MAX_FRAMES: usize = 2;
const MAX_SCRIPTS: usize = 4;
/// Bytes of one script read at most.
const SCRIPT_CAP: usize = 512 << 10;

/// What was fetched beyond the home page.
#[derive(Debug, Default)]
pub struct Further {
    /// Frames whose text was added to the page's.
    pub frames: Vec<String>,
    /// Whether a number was found only in a frame.
    pub number_in_frame: bool,
}

/// Whether the page shows a valid ICP number, and (when one is expected) a PSB number.
fn shows_numbers(page: &PageText, psb_expected: bool) -> bool {
    let kinds =
        number::extract(&page.text).into_iter().filter_map(|e| e.result.ok().map(|p| p.number.kind()));
    crate::assess::shows_kinds(kinds, psb_expected)
}

/// The registrable domain of a host, or the host itself (an address, `localhost`).
fn site_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(
        DomainName::parse(host).map(|d| d.value.registrable().to_owned()).unwrap_or_else(|_| host.to_owned()),
    )
}

fn same_site(a: &Url, b: &Url) -> bool {
    site_of(a).is_some_and(|s| Some(s) == site_of(b))
}

/// `href` as an absolute http(s) URL of the same site as `base`.
fn resolve(base: &Url, href: &str) -> Option<Url> {
    let u = base.join(href).ok()?;
    (matches!(u.scheme(), "http" | "https") && same_site(base, &u)).then_some(u)
}

/// Follows meta refreshes from a page that shows no number, within `max_redirects` hops in
/// all (HTTP redirects included). The hops are reported as redirects with the status of the
/// page that refreshed.
pub async fn follow_refreshes(
    fetcher: &Fetcher,
    mut result: Result<Fetched, FetchError>,
    psb_expected: bool,
) -> Result<Fetched, FetchError> {
    let max = fetcher.options().max_redirects;
    loop {
        let Ok(f) = &result else { return result };
        let Some(page) = &f.page else { return result };
        let Some(target) = page.meta_refresh.as_deref() else { return result };
        if shows_numbers(page, psb_expected) {
            return result;
        }
        let Ok(base) = Url::parse(&f.final_url) else { return result };
        let Some(next) = base.join(target).ok().filter(|u| matches!(u.scheme(), "http" | "https")) else {
            return result;
        };
        if next == base {
            return result;
        }
        if f.redirects.len() >= max {
            return Err(FetchError::TooManyRedirects(max));
        }
        let mut hops = f.redirects.clone();
        hops.push(Redirect { status: f.status, location: next.to_string() });
        result = fetcher.fetch(next.as_str()).await.map(|mut g| {
            hops.append(&mut g.redirects);
            g.redirects = hops;
            g
        });
    }
}

/// Reads the site's frames and external scripts when the page shows no number.
pub async fn look_further(fetcher: &Fetcher, fetched: &mut Fetched, psb_expected: bool) -> Further {
    let mut further = Further::default();
    let Ok(base) = Url::parse(&fetched.final_url) else { return further };
    let Some(page) = fetched.page.as_mut() else { return further };
    if shows_numbers(page, psb_expected) {
        return further;
    }
    let valid = |p: &PageText| number::extract(&p.text).iter().filter(|e| e.result.is_ok()).count();
    let before = valid(page);
    let frames: Vec<Url> = page.frames.iter().filter_map(|f| resolve(&base, f)).take(MAX_FRAMES).collect();
    for frame in frames {
        if let Ok(Fetched { page: Some(inner), status, .. }) = fetcher.fetch(frame.as_str()).await
            && (200..300).contains(&status)
        {
            page.append(inner);
            further.frames.push(frame.to_string());
        }
    }
    further.number_in_frame = valid(page) > before;
    if shows_numbers(page, psb_expected) || page.script_mentions_number {
        return further;
    }
    let scripts: Vec<Url> =
        page.script_srcs.iter().filter_map(|s| resolve(&base, s)).take(MAX_SCRIPTS).collect();
    for script in scripts {
        if let Ok(Some(bytes)) = fetcher.fetch_resource(script.as_str(), SCRIPT_CAP).await {
            let text = match std::str::from_utf8(&bytes) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => encoding_rs::GB18030.decode_without_bom_handling(&bytes).0,
            };
            if mentions_number(&text) {
                page.script_mentions_number = true;
                break;
            }
        }
    }
    further
}
