//! Changes on pages, end to end against the regulator on both backends: the owner of a filed
//! subject opens a change of one website from the subject's page; the wizard holds the website
//! as filed; a form posted unchanged changes nothing (and cannot be submitted); the kind
//! follows the edits (变更网站, 变更备案 when the subject's head changes too, back again when
//! that edit is undone); the confirmation step lists what changed; the order goes through
//! review, SMS and the bureau, and the next change starts from the new data as filed.

use crate::common::world::*;
use crate::common::{Client, form_fields, hidden};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ONE: &str = "浙ICP备2026000001号-1";
const TWO: &str = "浙ICP备2026000001号-2";

async fn post_form(c: &Client, path: &str, fields: &[(String, String)]) -> (StatusCode, String) {
    let r = Client::send(c.form_request(Method::POST, path).form(fields)).await;
    (r.status, r.body.as_str().unwrap_or_default().to_owned())
}

/// Posts a wizard step as a browser would, with `edits` applied to what the page shows.
async fn save_step(w: &World, id: &str, step: &str, edits: &[(&str, &str)]) -> (StatusCode, String) {
    let path = format!("/app/orders/{id}/edit/{step}");
    let page = w.owner.get(&path).await.body.as_str().unwrap().to_owned();
    let mut fields = form_fields(&page, &path);
    for (name, value) in edits {
        let slot =
            fields.iter_mut().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name} on {step}"));
        slot.1 = (*value).to_owned();
    }
    post_form(&w.owner, &path, &fields).await
}

fn kind_and_changes(o: &Value) -> (String, Value) {
    (o["order"]["kind"].as_str().unwrap_or_default().to_owned(), o["changed_fields"].clone())
}

fn codes(o: &Value) -> Vec<String> {
    o["findings"].as_array().into_iter().flatten().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_website_is_changed_from_its_filing_on_pages_and_the_kind_follows_the_edits() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _) = world(pdb, rdb, true, None).await;
        change_a_site_on_pages(&w, label).await;
    }
}

/// The same over MIIT's interface V3.0: the change goes up as a `BGBA` record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_v3_a_website_changed_on_pages_is_filed_and_the_next_change_starts_from_it() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        w.settle().await;
        change_a_site_on_pages(&w, label).await;
    }
}

async fn change_a_site_on_pages(w: &World, label: &str) {
    {
        let (subject, _) = w.file_to_numbers(sites(&[0, 1])).await;
        let filed_name = sites(&[0])[0]["name"].as_str().unwrap().to_owned();

        let subject_page = w.owner.get(&format!("/app/subjects/{subject}")).await;
        assert!(
            subject_page.body.as_str().unwrap().contains(&format!("/app/subjects/{subject}/change")),
            "{label}"
        );
        let path = format!("/app/subjects/{subject}/change");
        let html = w.owner.get(&path).await.body.as_str().unwrap().to_owned();
        assert!(html.contains(ONE) && html.contains(TWO), "{label}: {html}");
        let csrf = hidden(&html, "csrf_token");
        let field = |k: &str, v: &str| (k.to_owned(), v.to_owned());

        // Refused: no form token; a number that is not this subject's filing.
        let (status, _) = post_form(&w.owner, &path, &[field("numbers", ONE)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
        let (status, body) = post_form(
            &w.owner,
            &path,
            &[field("csrf_token", &csrf), field("numbers", "浙ICP备2026999999号-1")],
        )
        .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY && body.contains("不是该主体在本接入商处已备案的网站"),
            "{label}: {status} {body}"
        );

        // The first website chosen: the wizard opens on it as filed.
        let (status, body) =
            post_form(&w.owner, &path, &[field("csrf_token", &csrf), field("numbers", ONE)]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert!(body.contains(&filed_name) && !body.contains("id=\"add-website\""), "{label}: {body}");
        let orders = w.owner.get("/api/v1/orders").await.body;
        let id = orders.as_array().unwrap().iter().find(|o| o["order"]["kind"] == "change_service").unwrap()
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let o = w.order(&id).await;
        assert_eq!(o["order"]["websites"].as_array().unwrap().len(), 1, "{label}: {o}");
        assert_eq!(o["order"]["websites"][0]["existing_number"], ONE, "{label}");
        assert_eq!(o["order"]["websites"][0]["name"], filed_name.as_str(), "{label}");
        assert!(codes(&o).contains(&"ORDER_CHANGE_EMPTY".to_owned()), "{label}: {:?}", codes(&o));

        // Posted as shown, nothing changed: still nothing to submit.
        let (status, _) = save_step(w, &id, "websites", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let o = w.order(&id).await;
        assert_eq!(kind_and_changes(&o), ("change_service".to_owned(), Value::Null), "{label}: {o}");
        let (status, _) = save_step(w, &id, "persons", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(
            kind_and_changes(&w.order(&id).await).1,
            Value::Null,
            "{label}: the persons step unchanged"
        );
        // The subject step shows what a change cannot change without letting it be edited.
        let page =
            w.owner.get(&format!("/app/orders/{id}/edit/subject")).await.body.as_str().unwrap().to_owned();
        let number = &page[page.find("id=\"subject-certificate-number\"").unwrap()..];
        assert!(number[..number.find('>').unwrap()].contains("readonly"), "{label}: {number}");
        let nature = &page[page.find("id=\"subject-nature\"").unwrap()..];
        assert!(nature[..nature.find('>').unwrap()].contains("disabled"), "{label}: {nature}");
        let (status, _) = save_step(w, &id, "subject", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(
            kind_and_changes(&w.order(&id).await).1,
            Value::Null,
            "{label}: the subject step unchanged"
        );

        // Renamed: a change of the website, the field marked on the page.
        let (status, _) = save_step(w, &id, "websites", &[("websites[0].name", "阿里云官方网站")]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let o = w.order(&id).await;
        assert_eq!(
            kind_and_changes(&o),
            ("change_service".to_owned(), json!(["websites[0].name"])),
            "{label}: {o}"
        );
        assert!(!codes(&o).contains(&"ORDER_CHANGE_EMPTY".to_owned()), "{label}");
        let page =
            w.owner.get(&format!("/app/orders/{id}/edit/websites")).await.body.as_str().unwrap().to_owned();
        let notes = &page[page.find("id=\"websites-0--name-notes\"").unwrap()..];
        assert!(notes[..notes.find("</div>").unwrap()].contains("note-changed"), "{label}: {notes}");

        // The subject's head's e-mail too: a change of the filing; undone: the website's again.
        let (status, _) = save_step(w, &id, "persons", &[("subject.head.email", "wangwu@example.com")]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let o = w.order(&id).await;
        assert_eq!(o["order"]["kind"], "change_filing", "{label}: {o}");
        let ex = crate::common::example();
        let filed_email = ex["order"]["subject"]["head"]["email"].as_str().unwrap().to_owned();
        let (status, _) = save_step(w, &id, "persons", &[("subject.head.email", filed_email.as_str())]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(
            kind_and_changes(&w.order(&id).await),
            ("change_service".to_owned(), json!(["websites[0].name"])),
            "{label}"
        );

        // The confirmation step says what changed, in words.
        let confirm =
            w.owner.get(&format!("/app/orders/{id}/edit/confirm")).await.body.as_str().unwrap().to_owned();
        let summary = &confirm[confirm.find("id=\"change-summary\"").expect("a change summary")..];
        let summary = &summary[..summary.find("</div>").unwrap()];
        assert!(summary.contains("网站名称") && !summary.contains("websites[0]"), "{label}: {summary}");

        // Documents as the checklist asks, submitted on the page; review, SMS, the bureau.
        let needs = w.owner.get(&format!("/api/v1/orders/{id}/requirements")).await.body;
        for d in needs["documents"].as_array().unwrap() {
            let (kind, at) = (d["kind"].as_str().unwrap(), d["path"].as_str().unwrap());
            let r = w.owner.upload(&id, kind, at, crate::common::photo(), "image/png").await;
            assert_eq!(r.status, StatusCode::CREATED, "{label}: {kind} {at}: {}", r.body);
        }
        let confirm =
            w.owner.get(&format!("/app/orders/{id}/edit/confirm")).await.body.as_str().unwrap().to_owned();
        let submit = format!("/app/orders/{id}/submit");
        let (status, _) = post_form(&w.owner, &submit, &form_fields(&confirm, &submit)).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(w.state(&id).await["state"], "submitted", "{label}");
        let etag = w.owner.get(&format!("/api/v1/orders/{id}")).await.etag();
        let claimed = w.reviewer.act(&id, "claim", None, &etag).await;
        let verified = w
            .reviewer
            .act(&id, "verification", Some(json!({ "passed": true, "note": "一致" })), &claimed.etag())
            .await;
        let approved = w.reviewer.act(&id, "approve", None, &verified.etag()).await;
        assert_eq!(approved.body["state"]["state"], "queued_for_regulator", "{label}: {}", approved.body);
        w.settle().await;
        for person in w.state(&id).await["pending"].as_array().cloned().unwrap_or_default() {
            // The first website's head is the subject's head (the example's 王五).
            let (m, six) = if person == "websites[1].head" { SITE_HEAD } else { HEAD };
            let code = w.code_for(m).await;
            w.verify(m, six, &code).await;
        }
        w.settle().await;
        let item = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{item}/approve"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;
        assert_eq!(w.state(&id).await["state"], "filed", "{label}");

        // The next change starts from the new data as filed, over the API; an access edit
        // alone is a change of access.
        let unknown =
            w.owner.post(&format!("/api/v1/subjects/{subject}/changes"), json!({ "numbers": ["x"] })).await;
        assert_eq!(
            crate::common::field_codes(&unknown),
            vec![("numbers".to_owned(), "CHANGE_NUMBER_NOT_FILED".to_owned())],
            "{label}: {}",
            unknown.body
        );
        let many: Vec<String> = (0..101).map(|i| format!("n{i}")).collect();
        let too_many =
            w.owner.post(&format!("/api/v1/subjects/{subject}/changes"), json!({ "numbers": many })).await;
        assert_eq!(
            crate::common::field_codes(&too_many),
            vec![("numbers".to_owned(), "CHANGE_TOO_MANY".to_owned())],
            "{label}: {}",
            too_many.body
        );
        let next =
            w.owner.post(&format!("/api/v1/subjects/{subject}/changes"), json!({ "numbers": [ONE] })).await;
        assert_eq!(next.status, StatusCode::CREATED, "{label}: {}", next.body);
        assert_eq!(next.body["order"]["websites"][0]["name"], "阿里云官方网站", "{label}");
        let mut input = json!({
            "subject_id": subject,
            "websites": next.body["order"]["websites"].clone(),
            "domain_facts": next.body["domain_facts"].clone(),
        });
        input["websites"][0]["access"]["ips"] = json!(["47.96.1.99"]);
        let path = format!("/api/v1/orders/{}", next.body["id"].as_str().unwrap());
        let put = w.owner.call(Method::PUT, &path, Some(input), Some(&next.etag())).await;
        assert_eq!(put.status, StatusCode::OK, "{label}: {}", put.body);
        assert_eq!(
            kind_and_changes(&put.body),
            ("change_access".to_owned(), json!(["websites[0].access.ips"])),
            "{label}: {}",
            put.body
        );
        // Someone else cannot start a change of this subject.
        w.provider.account("stranger@example.com", beian_app::Role::Applicant).await;
        let stranger = w.provider.login("stranger@example.com").await;
        let r = stranger.post(&format!("/api/v1/subjects/{subject}/changes"), json!({ "numbers": [] })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}: {}", r.body);
    }
}
