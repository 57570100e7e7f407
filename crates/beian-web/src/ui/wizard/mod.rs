//! The guided filing: a start page that works the order kind out (subject type, certificate,
//! domain, province → 首次备案 / 新增网站 / 新增接入, `Drafts::start_filing`), then one page per
//! step — subject, persons, websites, access, documents, identity, confirmation.
//!
//! Every form step saves the draft (`Drafts::save_draft`) and runs the server's rule engine; the
//! findings, and a returned order's reviewer reasons, are shown beside the fields they name.
//! With JavaScript, htmx posts the step on every change and morphs the answer in (the draft
//! saves itself, the messages appear as the applicant types); without it, "save and next"
//! does the same. No rule is written twice: the page only places what the engine said.
//!
//! Form field names are the order's JSON paths (`websites[0].head.mobile`), the same paths the
//! findings name. This module must never write a value it did not show: it edits the masked
//! view the applicant saw, and masked values sent back are kept by the app.
//!
//! One job per file: `schema.rs` (the form), `paths.rs` (JSON paths), `groups.rs` (fields with
//! their notes), `apply.rs` (a post onto the draft), `step.rs` (a step's page and save),
//! `start.rs` (the start page), `documents.rs` (uploads and submission), `labels.rs` (field
//! paths in words, for findings, reasons and changes on every page). The files share this
//! module's imports and each other's items through the globs below.

use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::drafts::FilingStart;
use beian_app::orders::OrderInput;
use beian_app::{AppError, FieldError, OrderView};
use beian_core::choices::form_choices;
use beian_core::message::Lang;
use beian_core::model::{Certificate, CertificateKind, Order, SubjectNature};
use beian_core::rules::Finding;
use serde_json::Value;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FieldMsg, PageCtx, Pairs, SignedIn, app_error, error_page, field_messages, finding_lines,
    kind_key, label, posted, refusal_message, render,
};
use crate::AppState;

mod apply;
mod documents;
mod groups;
mod labels;
mod paths;
mod schema;
mod start;
mod step;

use apply::*;
use groups::*;
use paths::*;
use schema::*;
use step::*;

pub(super) use documents::{document, submit, upload};
pub(super) use labels::FieldLabels;
pub(super) use start::{start, start_form};
pub(super) use step::{edit, save};

/// The steps after the start, in order.
pub(super) const STEPS: [&str; 7] =
    ["subject", "persons", "websites", "access", "documents", "verification", "confirm"];

/// The steps whose form edits the order's fields.
const FORM_STEPS: [&str; 4] = ["subject", "persons", "websites", "access"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn paths_read_and_write_the_order_json() {
        let mut v = serde_json::json!({ "websites": [{ "head": { "name": "a" } }], "subject": {} });
        assert_eq!(text_of(get(&v, "websites[0].head.name")), "a");
        set(&mut v, "websites[0].head.name", Value::String("b".into()));
        set(&mut v, "websites[0].head.office_phone", Value::String("1".into()));
        set(&mut v, "subject.head.name", Value::String("c".into()));
        // An index past the end is ignored, never a panic.
        set(&mut v, "websites[5].name", Value::String("x".into()));
        assert_eq!(v["websites"][0]["head"]["name"], "b");
        assert_eq!(v["websites"][0]["head"]["office_phone"], "1");
        assert_eq!(v["subject"]["head"]["name"], "c");
        assert_eq!(v["websites"].as_array().unwrap().len(), 1);
        assert_eq!(id_of("websites[0].head.name"), "websites-0--head-name");
    }

    #[test]
    pub(super) fn every_field_path_of_every_step_exists_in_an_order() {
        let ex: Value =
            serde_json::from_str(include_str!("../../../../../docs/examples/first-filing-company.json"))
                .unwrap();
        let order = &ex["order"];
        for step in FORM_STEPS {
            for (_, _, specs) in step_specs(step, &Shape { site_pre: vec![1; 3], app_rows: Vec::new() }) {
                for s in specs {
                    // Optional fields, checkboxes and the blank rows that add a row are not
                    // in every order.
                    if s.optional
                        || s.path.ends_with(".same")
                        || s.input == Input::Check
                        || s.path.contains("pre_approvals[")
                    {
                        continue;
                    }
                    assert!(get(order, &s.path).is_some(), "{step}: {}", s.path);
                }
            }
        }
    }

    #[test]
    pub(super) fn findings_land_beside_their_fields_and_nowhere_else() {
        let f = |field: &str| beian_app::ReviewFinding {
            field: field.into(),
            error: "x".into(),
            suggestion: String::new(),
        };
        let reasons = [f("websites[0].domains[1]"), f("websites[10].name")];
        assert_eq!(notes_for("websites[0].domains", &[], &reasons, Lang::Zh).len(), 1);
        assert_eq!(notes_for("websites[1].name", &[], &reasons, Lang::Zh).len(), 0);
        assert_eq!(notes_for("websites[1]", &[], &reasons, Lang::Zh).len(), 0);
        assert_eq!(step_of("subject.head.mobile"), "persons");
        assert_eq!(step_of("websites[1].access.ips[0]"), "access");
        assert_eq!(step_of("websites[1].name"), "websites");
    }
}
