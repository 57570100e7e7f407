//! E-mail addresses as a filing form accepts them: one `@`, a sane local part and a
//! registrable-looking domain. Deliverability is not checked here.

use std::fmt;

use super::{DomainName, IdError, Parsed, fold_non_empty};

/// An e-mail address with its domain in lower-case punycode.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    local: String,
    domain: String,
}

impl Email {
    pub fn parse(input: &str) -> Result<Parsed<Email>, IdError> {
        let (folded, warnings) = fold_non_empty(input)?;
        let s = folded.as_ref();
        let (local, domain) =
            s.rsplit_once('@').ok_or(IdError::EmailFormat { reason: "email_missing_at" })?;
        if local.is_empty() || local.len() > 64 {
            return Err(IdError::EmailFormat { reason: "email_local_length" });
        }
        if !local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b)) {
            return Err(IdError::EmailFormat { reason: "email_local_chars" });
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(IdError::EmailFormat { reason: "email_dots" });
        }
        let host =
            DomainName::parse_host(domain).map_err(|_| IdError::EmailFormat { reason: "email_domain" })?;
        Ok(Parsed { value: Email { local: local.to_owned(), domain: host }, warnings })
    }

    /// The domain part, lower-case punycode.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Masked: `z***@example.com`.
    pub fn masked(&self) -> String {
        format!("{}@{}", crate::text::mask(&self.local, 1, 0), self.domain)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        assert_eq!(
            Email::parse(" Zhang.San@Example.COM ").unwrap().value.to_string(),
            "Zhang.San@example.com"
        );
        assert_eq!(Email::parse("a@例子.中国").unwrap().value.domain(), "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(Email::parse("ｚｓ＠ｑｑ．ｃｏｍ").unwrap().value.to_string(), "zs@qq.com");
        for bad in
            ["", "no-at", "@qq.com", "a@", "a b@qq.com", ".a@qq.com", "a..b@qq.com", "a@qq", "a@-qq.com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Email::parse("zhangsan@qq.com").unwrap().value.masked(), "z*******@qq.com");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_addresses_round_trip(local in "[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?", host in "[a-z0-9]{1,20}", tld in proptest::sample::select(vec!["com", "cn", "net", "com.cn"])) {
            prop_assume!(!local.contains(".."));
            let addr = format!("{local}@{host}.{tld}");
            let parsed = Email::parse(&addr).unwrap();
            prop_assert_eq!(parsed.value.to_string(), addr.clone());
            prop_assert_eq!(Email::parse(&addr.to_uppercase().replace(&local.to_uppercase(), &local)).unwrap().value.to_string(), addr);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = Email::parse(&s);
        }
    }
}
