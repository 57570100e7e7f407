//! Public IP addresses for access information. A filing names the public address the
//! provider assigned; private, loopback, link-local, CGNAT, documentation, multicast and
//! reserved blocks are rejected (blocks are data: `data/special_ip_ranges.tsv`).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::OnceLock;

use super::{IdError, Parsed};
use crate::text::fold_compact;

const RANGES: &str = include_str!("../../data/special_ip_ranges.tsv");

/// A special-purpose block from the IANA registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialRange {
    pub network: IpAddr,
    pub prefix: u8,
    /// `private`, `loopback`, `link_local`, `cgnat`, `documentation`, `multicast`, `reserved`.
    pub kind: &'static str,
    pub label: &'static str,
}

impl SpecialRange {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

fn ranges() -> &'static [SpecialRange] {
    static T: OnceLock<Vec<SpecialRange>> = OnceLock::new();
    T.get_or_init(|| {
        RANGES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let c: Vec<&'static str> = l.split('\t').collect();
                let (net, prefix) = c[0].split_once('/').expect("special_ip_ranges.tsv: cidr");
                SpecialRange {
                    network: net.parse().expect("special_ip_ranges.tsv: address"),
                    prefix: prefix.parse().expect("special_ip_ranges.tsv: prefix"),
                    kind: c[1],
                    label: c[2],
                }
            })
            .collect()
    })
}

const NOT_GLOBAL_V6: SpecialRange = SpecialRange {
    network: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    prefix: 0,
    kind: "reserved",
    label: "outside IPv6 global unicast 2000::/3",
};

/// The special-purpose block `ip` falls in, if any. IPv4-mapped IPv6 addresses are judged
/// by their IPv4 part.
pub fn special_range_of(ip: IpAddr) -> Option<&'static SpecialRange> {
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    };
    if let Some(r) = ranges().iter().find(|r| r.contains(ip)) {
        return Some(r);
    }
    match ip {
        IpAddr::V6(v6) if v6.segments()[0] & 0xe000 != 0x2000 => Some(&NOT_GLOBAL_V6),
        _ => None,
    }
}

/// A public (globally routable) IPv4 or IPv6 address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicIp(IpAddr);

impl PublicIp {
    pub fn parse(input: &str) -> Result<Parsed<PublicIp>, IdError> {
        let s = fold_compact(input);
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let ip: IpAddr = s.parse().map_err(|_| IdError::IpFormat)?;
        PublicIp::new(ip).map(Parsed::clean)
    }

    /// Checks an already parsed address.
    pub fn new(ip: IpAddr) -> Result<PublicIp, IdError> {
        match special_range_of(ip) {
            Some(r) => Err(IdError::IpNotPublic { kind: r.kind, label: r.label }),
            None => Ok(PublicIp(ip)),
        }
    }

    pub fn addr(&self) -> IpAddr {
        self.0
    }

    pub fn is_v4(&self) -> bool {
        matches!(self.0, IpAddr::V4(_))
    }
}

impl From<PublicIp> for IpAddr {
    fn from(p: PublicIp) -> IpAddr {
        p.0
    }
}

impl fmt::Display for PublicIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for PublicIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicIp({})", self.0)
    }
}

/// Whether `ip` lies in `network/prefix` (used for provider IP pools).
pub fn cidr_contains(network: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    SpecialRange { network, prefix, kind: "", label: "" }.contains(ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_public_addresses() {
        for ok in
            ["47.96.1.1", "8.8.8.8", "2400:3200::1", "１１４．１１４．１１４．１１４", "::ffff:47.96.1.1"]
        {
            assert!(PublicIp::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_special_ranges() {
        for (bad, kind) in [
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link_local"),
            ("100.64.0.1", "cgnat"),
            ("100.127.255.255", "cgnat"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("224.0.0.1", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("0.0.0.0", "reserved"),
            ("198.18.0.1", "reserved"),
            ("::1", "loopback"),
            ("::", "reserved"),
            ("fe80::1", "link_local"),
            ("fd00::1", "private"),
            ("2001:db8::1", "documentation"),
            ("ff02::1", "multicast"),
            ("::ffff:10.0.0.1", "private"),
            ("4000::1", "reserved"),
        ] {
            match PublicIp::parse(bad) {
                Err(IdError::IpNotPublic { kind: k, .. }) => assert_eq!(k, kind, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(PublicIp::parse("172.32.0.1").is_ok());
        assert!(PublicIp::parse("100.128.0.1").is_ok());
        assert_eq!(PublicIp::parse("1.2.3").unwrap_err(), IdError::IpFormat);
        assert_eq!(PublicIp::parse("").unwrap_err(), IdError::Empty);
    }

    #[test]
    fn cidr() {
        assert!(cidr_contains("47.96.0.0".parse().unwrap(), 11, "47.127.1.1".parse().unwrap()));
        assert!(!cidr_contains("47.96.0.0".parse().unwrap(), 11, "47.128.0.1".parse().unwrap()));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,45}") {
            let _ = PublicIp::parse(&s);
        }

        #[test]
        fn ten_slash_eight_is_always_private(b in any::<u8>(), c in any::<u8>(), d in any::<u8>()) {
            let ip = format!("10.{b}.{c}.{d}");
            prop_assert!(PublicIp::parse(&ip).is_err());
        }
    }
}
