//! The `Resolver` port: which addresses a filed website's domain answers on now. The system
//! resolver by default; a fixed table in tests, where the public DNS is not ours to change.
//! Only the hosting check (`hosting.rs`) uses it; the footer scanner resolves through its own
//! safe resolver, which also refuses private addresses.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::notify::BoxFuture;

pub trait Resolver: Send + Sync + fmt::Debug {
    /// The domain's addresses; an error when it does not resolve.
    fn addresses<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<Vec<IpAddr>, String>>;
}

/// The operating system's resolver.
#[derive(Debug, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn addresses<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<Vec<IpAddr>, String>> {
        Box::pin(async move {
            let found = tokio::net::lookup_host((domain, 80)).await.map_err(|e| e.to_string())?;
            let mut out: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            out.sort();
            out.dedup();
            Ok(out)
        })
    }
}

/// A fixed table, changed as a test goes (a domain not in it does not resolve).
#[derive(Debug, Default)]
pub struct StaticResolver {
    table: Mutex<HashMap<String, Vec<IpAddr>>>,
}

impl StaticResolver {
    pub fn set(&self, domain: &str, addresses: &[IpAddr]) {
        let mut t = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        t.insert(domain.to_ascii_lowercase(), addresses.to_vec());
    }
}

impl Resolver for StaticResolver {
    fn addresses<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<Vec<IpAddr>, String>> {
        let t = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = t.get(&domain.to_ascii_lowercase()).cloned();
        Box::pin(async move { found.ok_or_else(|| format!("{domain} does not resolve")) })
    }
}
