//! Taking personal data and secrets out of a text before it is logged or kept: an SMTP
//! server's or an SMS gateway's error often echoes the recipient (a job's error is kept as
//! `last_error`), and a message's links carry one-time tokens that must not outlive sending.

/// Removes e-mail addresses and mainland mobile numbers from a text (an SMTP server's or a
/// gateway's error often echoes the recipient) before it is logged or kept as `last_error`.
pub fn redact_pii(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_addr = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    while i < chars.len() {
        let c = chars[i];
        // An e-mail address: a run of address characters around an '@'.
        if c == '@' {
            while out.chars().last().is_some_and(is_addr) {
                out.pop();
            }
            let mut j = i + 1;
            while j < chars.len() && is_addr(chars[j]) {
                j += 1;
            }
            out.push_str("[email]");
            i = j;
            continue;
        }
        // A mobile number: 11 digits starting with 1, not part of a longer number.
        if c == '1' && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            let run = chars[i..].iter().take_while(|d| d.is_ascii_digit()).count();
            if run == 11 {
                out.push_str("[phone]");
                i += 11;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

pub fn redact_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("token=") {
        out.push_str(&rest[..at + "token=".len()]);
        out.push_str("***");
        rest = &rest[at + "token=".len()..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_lose_addresses_and_phones() {
        let e = "550 5.1.1 <wang.wu+x@example.com.cn>: Recipient address rejected; sms to 13800138000 failed (id 201612345678901)";
        let r = super::redact_pii(e);
        assert_eq!(
            r,
            "550 5.1.1 <[email]>: Recipient address rejected; sms to [phone] failed (id 201612345678901)"
        );
    }

    #[test]
    fn reset_tokens_are_hidden() {
        let body = "open https://x.example/reset-password?token=AbC-12_z within an hour\nmore token=q";
        assert_eq!(
            super::redact_links(body),
            "open https://x.example/reset-password?token=*** within an hour\nmore token=***"
        );
    }
}
