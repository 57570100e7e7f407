//! The rule engine: `check(&Order, &Context) -> Vec<Finding>`.
//!
//! Every rule is addressed by a stable code from the catalog (`data/rules.toml`), which holds
//! its severity, source and bilingual message and fix templates; provincial parameters come
//! from [`crate::policy`]. Rule code here only decides *whether* a finding applies and fills
//! the template — it never branches on a province, never formats a user message by hand, and
//! never puts an unmasked certificate number or phone into a message.
//!
//! Rules are grouped by what they look at: [`subject`], [`persons`], [`services`] (names,
//! content, pre-approvals), [`domains`], [`access`], [`apps`] and [`order`] (kind, limits,
//! sequencing, what is on file).

mod access;
mod apps;
mod context;
mod domains;
mod order;
mod persons;
mod psb;
mod services;
mod subject;
#[cfg(test)]
pub(crate) mod tests;

pub use context::{Cidr, Context, DomainFacts, FiledService, FiledSubject, add_working_days};
pub use psb::check_psb;

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::message::{Lang, Problem};
use crate::model::{Order, ServicePaths};
use crate::policy::{Policy, PolicySet, Severity};
use crate::province::Province;

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Text {
    #[serde(rename = "zh-CN")]
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// One thing the engine found about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable rule code, e.g. `SERVICE_NAME_TOO_SHORT`.
    pub code: String,
    pub severity: Severity,
    /// JSON path of the field concerned, e.g. `websites[0].domains[1]`.
    pub field: String,
    pub message: Text,
    pub suggestion: Text,
    /// Where the rule comes from (a key of rules.md §0, a standard or a regulation).
    pub source: String,
}

/// Whether any finding blocks submission.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Runs every rule with the built-in policy.
pub fn check(order: &Order, ctx: &Context) -> Vec<Finding> {
    check_with(order, ctx, PolicySet::builtin())
}

/// Runs every rule with the given policy set. Findings come in rule-group order, then field
/// order, so the same order always gives the same list.
pub fn check_with(order: &Order, ctx: &Context, set: &PolicySet) -> Vec<Finding> {
    let paths = ServicePaths::of(order);
    let mut cx = Cx {
        order,
        ctx,
        set,
        policy: set.province(order.province),
        province: order.province.province(),
        paths: &paths,
        out: Vec::new(),
    };
    order::check(&mut cx);
    subject::check(&mut cx);
    persons::check(&mut cx);
    services::check(&mut cx);
    domains::check(&mut cx);
    access::check(&mut cx);
    apps::check(&mut cx);
    cx.out
}

/// The subject's own rules (name, nature, certificate — a unit code whose check character
/// fails is a warning, never a refusal — region, addresses, head), for a subject saved on its
/// own before any order: what `check` would say of its `subject.*` fields.
pub fn check_subject(
    subject: &crate::model::Subject,
    province: crate::province::ProvinceCode,
    ctx: &Context,
) -> Vec<Finding> {
    let order = Order {
        kind: crate::model::OrderKind::FirstFiling,
        province,
        subject: subject.clone(),
        websites: Vec::new(),
        apps: Vec::new(),
        target_numbers: Vec::new(),
        cancel_reason: None,
        remark: None,
    };
    let set = PolicySet::builtin();
    let paths = ServicePaths::of(&order);
    let mut cx = Cx {
        order: &order,
        ctx,
        set,
        policy: set.province(province),
        province: province.province(),
        paths: &paths,
        out: Vec::new(),
    };
    subject::check(&mut cx);
    cx.out.retain(|f| f.field.starts_with("subject"));
    cx.out
}

/// A template argument: a name and its value in each language.
#[derive(Debug, Clone)]
pub(crate) struct Arg<'a> {
    name: &'static str,
    zh: Cow<'a, str>,
    en: Cow<'a, str>,
}

/// An argument that reads the same in both languages.
pub(crate) fn arg<'a>(name: &'static str, value: impl Into<Cow<'a, str>>) -> Arg<'a> {
    let v = value.into();
    Arg { name, zh: v.clone(), en: v }
}

/// An argument with a Chinese and an English value.
pub(crate) fn bi<'a>(
    name: &'static str,
    zh: impl Into<Cow<'a, str>>,
    en: impl Into<Cow<'a, str>>,
) -> Arg<'a> {
    Arg { name, zh: zh.into(), en: en.into() }
}

/// An argument whose value is a word of the core's catalogue (`arg.…`), in each language.
pub(crate) fn word(name: &'static str, key: &'static str) -> Arg<'static> {
    bi(name, crate::message::word(Lang::Zh, key), crate::message::word(Lang::En, key))
}

/// An argument worded in each language by `say` (an order kind's or a nature's label).
pub(crate) fn worded(name: &'static str, say: impl Fn(Lang) -> &'static str) -> Arg<'static> {
    bi(name, say(Lang::Zh), say(Lang::En))
}

/// An argument holding a problem's message (an identifier or number error).
pub(crate) fn detail(problem: &dyn Problem) -> Arg<'static> {
    bi("detail", problem.message(Lang::Zh), problem.message(Lang::En))
}

/// The rule-evaluation state: inputs plus the findings so far.
pub(crate) struct Cx<'a> {
    pub order: &'a Order,
    pub ctx: &'a Context,
    pub set: &'a PolicySet,
    pub policy: &'a Policy,
    pub province: &'static Province,
    pub paths: &'a ServicePaths,
    pub out: Vec<Finding>,
}

impl Cx<'_> {
    /// The filing province as a template argument.
    pub fn province_arg(&self) -> Arg<'static> {
        bi("province", self.province.short_name, self.province.name_en)
    }

    /// Records a finding of rule `code` on `field`, filling the catalog templates.
    pub fn emit(&mut self, code: &str, field: impl Into<String>, args: &[Arg<'_>]) {
        self.out.push(finding(self.set, Some(self.policy), code, field.into(), args));
    }
}

/// The finding of rule `code` on `field`, its templates filled and its severity as the
/// province's policy sets it (the catalog's when the province is unknown).
pub(crate) fn finding(
    set: &PolicySet,
    policy: Option<&Policy>,
    code: &str,
    field: String,
    args: &[Arg<'_>],
) -> Finding {
    // PolicySet::from_toml refuses catalogs that lack a rule the engine emits, so this
    // lookup cannot fail; stay loud in debug builds and degrade to the bare code otherwise.
    let Some(info) = set.rule(code) else {
        debug_assert!(false, "rule {code} is not in the catalog");
        let text = Text { zh: code.to_owned(), en: code.to_owned() };
        return Finding {
            code: code.to_owned(),
            severity: Severity::Error,
            field,
            message: text.clone(),
            suggestion: text,
            source: String::new(),
        };
    };
    Finding {
        code: info.code.clone(),
        severity: policy.and_then(|p| p.severity.get(code).copied()).unwrap_or(info.severity),
        field,
        message: Text { zh: fill(&info.zh, args, Lang::Zh), en: fill(&info.en, args, Lang::En) },
        suggestion: Text { zh: fill(&info.fix_zh, args, Lang::Zh), en: fill(&info.fix_en, args, Lang::En) },
        source: info.source.clone(),
    }
}

/// Replaces `{name}` placeholders with argument values.
fn fill(template: &str, args: &[Arg<'_>], lang: Lang) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|a| a.name == name) {
                    Some(a) => out.push_str(if lang == Lang::Zh { &a.zh } else { &a.en }),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Number of CJK ideographs in `s`.
pub(crate) fn han_count(s: &str) -> usize {
    s.chars().filter(|c| is_han(*c)).count()
}

pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{2A6DF}' | '\u{F900}'..='\u{FAFF}')
}
