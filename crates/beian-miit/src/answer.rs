//! The `<return>` answers of the methods.
//!
//! Every answer XSD declares `<msg>` with `xs:length 256` — exactly 256 characters — and a
//! required `version` attribute, while the spec's own examples have neither (its open point
//! 1). beian meets both readings: it writes the official text of the code (and any detail),
//! padded with spaces to exactly 256 characters (cut at 256 if longer), with the version
//! attribute; it reads answers leniently and trims `msg`.

use crate::codes;

/// The length the answer XSDs give `msg`.
pub const MSG_LENGTH: usize = 256;

/// The `msg` of `code`: its official text, then `detail` if any, padded or cut to exactly
/// 256 characters.
pub fn msg(code: i64, detail: Option<&str>) -> String {
    let mut text = codes::text(code).to_owned();
    if let Some(d) = detail.filter(|d| !d.is_empty()) {
        text.push_str(d);
    }
    let mut out: String = text.chars().filter(|c| crate::xml::xml_char(*c)).take(MSG_LENGTH).collect();
    let n = out.chars().count();
    out.extend(std::iter::repeat_n(' ', MSG_LENGTH - n));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_is_the_official_text_padded_to_256() {
        let m = msg(14, None);
        assert_eq!(m.chars().count(), 256);
        assert!(m.starts_with("本次上载没有受理"));
        let long = msg(20, Some(&"8:00-18:00".repeat(60)));
        assert_eq!(long.chars().count(), 256);
        assert!(long.starts_with("请您在规定的时间段内进行报备，报备时间为：8:00-18:00"));
    }
}
