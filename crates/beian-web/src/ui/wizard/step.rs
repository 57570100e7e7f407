//! A form step's page: rendering a step with its groups, findings, uploads and the stage bar, and
//! saving a step (with htmx, on every change).

use super::*;
use beian_app::i18n::Text;

#[derive(Template)]
#[template(path = "wizard.html")]
pub(super) struct WizardPage {
    pub(super) c: Chrome,
    pub(super) id: Uuid,
    pub(super) version: i64,
    pub(super) kind_key: String,
    pub(super) state_key: String,
    pub(super) step: &'static str,
    pub(super) steps: Vec<(&'static str, String, bool)>,
    pub(super) next: Option<&'static str>,
    pub(super) prev: Option<&'static str>,
    pub(super) notice: Option<String>,
    pub(super) notice_ok: bool,
    pub(super) errors: Vec<FieldMsg>,
    pub(super) groups: Vec<Group>,
    pub(super) can_add_site: bool,
    /// A change order: the fields changed from the data as filed, labelled (the summary on the
    /// confirmation step); `None` for other orders.
    pub(super) changes: Option<Vec<String>>,
    /// Findings the step's fields do not show (or all of them on the confirmation step).
    /// Each with the step it is on and the field it names, in words.
    pub(super) others: Vec<(super::super::FindingLine, &'static str, String)>,
    /// The reviewer's reasons, each with the field it names in words.
    pub(super) reasons: Vec<(String, beian_app::ReviewFinding)>,
    pub(super) uploads: Vec<UploadSlot>,
    pub(super) max_upload: usize,
    pub(super) submittable: bool,
}

/// One required document: what it is, whose, and what is uploaded for it.
pub(in crate::ui) struct UploadSlot {
    pub(super) kind: String,
    pub(super) path: String,
    pub(super) label: String,
    /// The camera a phone opens straight away: only for the face photo, which must be taken
    /// live; a document may be a scan or a PDF already on the phone, so its input lets the
    /// person choose.
    pub(super) capture: Option<&'static str>,
    pub(super) uploaded: Vec<(Uuid, bool)>,
    /// For a face photo: the same person's ID portrait, to compare side by side.
    pub(super) portrait: Option<Uuid>,
    /// For a face photo: the automatic face check's state (class, text).
    pub(super) face: Option<(&'static str, String)>,
    pub(super) field_id: String,
    pub(super) error: Option<String>,
}

pub(super) fn doc_label(lang: Lang, kind: &str, path: &str) -> String {
    format!("{} · {}", Msgs::of(lang).get(&format!("doc.{kind}")), label(lang, path))
}

/// Which step a field path belongs to, for links from the confirmation list.
pub(super) fn step_of(field: &str) -> &'static str {
    if field.starts_with("subject.head") {
        "persons"
    } else if field.starts_with("subject") {
        "subject"
    } else if field.contains(".access") {
        "access"
    } else if field.starts_with("websites") || field.starts_with("apps") {
        "websites"
    } else {
        "confirm"
    }
}

/// The fields a change order shows but cannot change.
const FIXED_IN_CHANGE: [&str; 3] =
    ["subject.nature", "subject.certificate.kind", "subject.certificate.number"];

pub(super) struct Rendered<'a> {
    pub(super) step: &'static str,
    pub(super) notice: Option<(String, bool)>,
    pub(super) errors: Vec<FieldMsg>,
    pub(super) upload_error: Option<(String, String, String)>,
    /// The form as posted, shown again when it was refused (nothing saved).
    pub(super) posted: Option<&'a Value>,
    /// The person tried to go on: a field still empty is shown as an error, not only as to do.
    pub(super) insist: bool,
}

impl Rendered<'_> {
    /// The stored order's `step` with `notice` above it: nothing refused, nothing insisted on.
    pub(super) fn notice(step: &'static str, notice: Option<(String, bool)>) -> Rendered<'static> {
        Rendered { step, notice, errors: Vec::new(), upload_error: None, posted: None, insist: false }
    }
}

pub(super) async fn render_step(
    s: &AppState,
    p: &PageCtx,
    v: OrderView,
    r: Rendered<'_>,
    status: StatusCode,
) -> Response {
    let lang = p.lang;
    let findings = match s.app.orders().order_findings(&p.ctx, v.id).await {
        Ok(f) => f,
        Err(e) => return app_error(p, e),
    };
    let view = match r.posted {
        Some(posted) => posted.clone(),
        None => serde_json::to_value(&v.order).unwrap_or_default(),
    };
    let step = r.step;
    // A refused post shows what was typed: the stored order's findings would not match it.
    let beside: &[Finding] = if r.posted.is_some() { &[] } else { &findings };
    let mut groups = build_groups(step, &view, beside, &v.review_findings, lang);
    if step == "access" {
        groups.extend(fact_groups(&view, &v.domain_facts, lang));
        // The applicant picks addresses from the provider's pools: say which they are.
        if let Ok(pools) = s.app.ip_filing().assignable_addresses(&p.ctx).await
            && !pools.is_empty()
        {
            let text = format!("{}{}", Msgs::of(lang).get("wz.access.pools"), pools.join(", "));
            for f in groups
                .iter_mut()
                .flat_map(|g| g.fields.iter_mut())
                .filter(|f| f.name.ends_with(".access.ips"))
            {
                f.hint = Some(match &f.hint {
                    Some(h) => format!("{h} {text}"),
                    None => text.clone(),
                });
            }
        }
    }
    // A field nobody has filled in yet is a thing to do, not a mistake: its finding shows
    // without the error's red until the person tries to go on (or confirms).
    if !(r.insist || step == "confirm") {
        for f in groups.iter_mut().flat_map(|g| g.fields.iter_mut()).filter(|f| f.value.trim().is_empty()) {
            for n in f.notes.iter_mut().filter(|n| n.class == "error") {
                n.class = "todo";
            }
        }
    }
    for e in &r.errors {
        if let Some(f) = groups.iter_mut().flat_map(|g| g.fields.iter_mut()).find(|f| f.name == e.field) {
            f.notes.insert(0, Note { class: "error", message: e.message.clone(), suggestion: String::new() });
        }
    }
    // A change marks each field that differs from the data as filed, and shows what it cannot
    // change (the rule engine refuses it too: ORDER_CHANGE_IMMUTABLE) without letting it be edited.
    if v.order.kind.is_change() {
        for f in groups
            .iter_mut()
            .flat_map(|g| g.fields.iter_mut())
            .filter(|f| FIXED_IN_CHANGE.contains(&f.name.as_str()))
        {
            f.fixed = true;
            f.hint = Some(Msgs::of(lang).get("wz.fixed_in_change").to_owned());
        }
    }
    let changed = beian_core::model::Changes { fields: v.changed_fields.clone() };
    for f in groups.iter_mut().flat_map(|g| g.fields.iter_mut()).filter(|f| changed.touches(&f.name)) {
        f.notes.push(Note {
            class: "changed",
            message: Msgs::of(lang).get("wz.changed").to_owned(),
            suggestion: String::new(),
        });
    }
    let shown: Vec<String> = groups.iter().flat_map(|g| g.fields.iter().map(|f| f.name.clone())).collect();
    let on_step = |field: &str| {
        shown
            .iter()
            .any(|n| field == n || field.starts_with(&format!("{n}.")) || field.starts_with(&format!("{n}[")))
    };
    let labels = FieldLabels::of(&view, lang);
    let others = finding_lines(lang, &findings)
        .into_iter()
        .filter(|f| step == "confirm" || (step_of(&f.field) == step && !on_step(&f.field)))
        .map(|f| {
            let (at, words) = (step_of(&f.field), labels.get(&f.field));
            (f, at, words)
        })
        .collect();
    let mut uploads = Vec::new();
    if matches!(step, "documents" | "verification" | "confirm") {
        let slots = match s.app.drafts().document_checklist(&p.ctx, v.id).await {
            Ok(x) => x,
            Err(e) => return app_error(p, e),
        };
        for slot in slots {
            let face = slot.kind == "face_photo";
            if (step == "documents" && face) || (step == "verification" && !face) {
                continue;
            }
            let field_id = id_of(&format!("{}-{}", slot.kind, slot.path));
            uploads.push(UploadSlot {
                label: doc_label(lang, &slot.kind, &slot.path),
                capture: face.then_some("user"),
                uploaded: slot
                    .uploaded
                    .iter()
                    .map(|d| (d.id, d.content_type.starts_with("image/")))
                    .collect(),
                portrait: slot.portrait,
                face: super::super::face_note(lang, &slot),
                error: r
                    .upload_error
                    .as_ref()
                    .filter(|(k, pth, _)| *k == slot.kind && *pth == slot.path)
                    .map(|(_, _, m)| m.clone()),
                field_id,
                kind: slot.kind,
                path: slot.path,
            });
        }
    }
    let missing_docs = uploads.iter().any(|u| u.uploaded.is_empty());
    let idx = STEPS.iter().position(|x| *x == step).unwrap_or(0);
    let done_upto = idx;
    let page = WizardPage {
        c: Chrome::new(p, "wz.title"),
        id: v.id,
        version: v.version,
        kind_key: kind_key(v.order.kind),
        state_key: format!("state.{}", v.state.name()),
        step,
        steps: STEPS
            .iter()
            .enumerate()
            .map(|(i, st)| (*st, format!("wz.step.{st}"), i < done_upto))
            .collect(),
        next: STEPS.get(idx + 1).copied(),
        prev: idx.checked_sub(1).and_then(|i| STEPS.get(i)).copied(),
        notice: r.notice.as_ref().map(|n| n.0.clone()),
        notice_ok: r.notice.as_ref().is_some_and(|n| n.1),
        errors: r.errors.into_iter().filter(|e| !shown.contains(&e.field)).collect(),
        can_add_site: step == "websites" && !v.order.kind.is_change(),
        changes: v.order.kind.is_change().then(|| labels.touched(&changed)),
        groups,
        others,
        reasons: v.review_findings.iter().map(|r| (labels.get(&r.field), r.clone())).collect(),
        uploads,
        max_upload: s.app.config().max_upload_bytes,
        submittable: !(beian_core::rules::has_errors(&findings) || (step == "confirm" && missing_docs)),
    };
    render(&page, status)
}

pub(super) fn parse_step(step: &str) -> Option<&'static str> {
    STEPS.iter().find(|s| **s == step).copied()
}

pub(super) fn not_found(p: &PageCtx) -> Response {
    error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")
}

pub(in crate::ui) async fn edit(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    Path((id, step)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Some(step)) = (id.parse::<Uuid>(), parse_step(&step)) else { return not_found(&p) };
    let v = match s.app.orders().get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    if !v.state.is_editable() {
        return Redirect::to(&format!("/app/orders/{id}")).into_response();
    }
    let resumed = p.path.contains("resumed=1");
    let notice = resumed.then(|| (Msgs::of(p.lang).get("wz.resumed").to_owned(), true));
    render_step(&s, &p, v, Rendered::notice(step, notice), StatusCode::OK).await
}

pub(super) fn is_htmx(h: &HeaderMap) -> bool {
    h.get("hx-request").is_some()
}

/// Saves a form step. With htmx (a field changed), the step comes back with the engine's
/// findings beside the fields; otherwise the next step follows, unless a field on this step
/// is in error.
pub(in crate::ui) async fn save(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let Some(step) = parse_step(&step).filter(|st| FORM_STEPS.contains(st)) else { return not_found(&p) };
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let Some(version) = posted(&f, "version").and_then(|v| v.parse::<i64>().ok()) else {
        return not_found(&p);
    };
    let htmx = is_htmx(&headers);
    let action = posted(&f, "action").unwrap_or("next");
    let (mut view, mut saved, mut refused) =
        match save_step(&s, &p, id, step, &f, action, Some(version)).await {
            Ok(x) => x,
            Err(r) => return *r,
        };
    if matches!(saved, Err(AppError::PreconditionFailed { .. })) {
        // Saves as the applicant types overtake each other (a change, or "next", while the
        // previous save is in flight carries the old version): the step's fields as posted
        // win, once. Only this step's fields are written; the JSON API keeps strict If-Match.
        (view, saved, refused) = match save_step(&s, &p, id, step, &f, action, None).await {
            Ok(x) => x,
            Err(r) => return *r,
        };
    }
    match saved {
        // Saved, except fields that could not be read: the page comes back with those as
        // typed and why, everything else kept.
        Ok(v) if !refused.is_empty() => {
            let errors = field_messages(p.lang, &AppError::Validation(refused));
            let notice = Some((Msgs::of(p.lang).get("wz.partly_saved").to_owned(), false));
            let r = Rendered { errors, posted: Some(&view), ..Rendered::notice(step, notice) };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(v) => {
            if htmx {
                let notice = Some((Msgs::of(p.lang).get("wz.saved").to_owned(), true));
                return render_step(&s, &p, v, Rendered::notice(step, notice), StatusCode::OK).await;
            }
            if action != "next" {
                return Redirect::to(&format!("/app/orders/{id}/edit/{step}")).into_response();
            }
            let findings = s.app.orders().order_findings(&p.ctx, id).await.unwrap_or_default();
            let shape = Shape::of(&serde_json::to_value(&v.order).unwrap_or_default());
            let fields: Vec<String> = step_specs(step, &shape)
                .into_iter()
                .flat_map(|(_, _, specs)| specs.into_iter().map(|s| s.path))
                .collect();
            let blocking = findings.iter().any(|fi| {
                fi.severity == beian_core::policy::Severity::Error
                    && fields.iter().any(|n| {
                        fi.field == *n
                            || fi.field.starts_with(&format!("{n}."))
                            || fi.field.starts_with(&format!("{n}["))
                    })
            });
            if blocking {
                let notice = Some((Msgs::of(p.lang).get("wz.fix_first").to_owned(), false));
                let r = Rendered { insist: true, ..Rendered::notice(step, notice) };
                return render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            let next = STEPS[STEPS.iter().position(|x| *x == step).unwrap_or(0) + 1];
            Redirect::to(&format!("/app/orders/{id}/edit/{next}")).into_response()
        }
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            // Nothing was saved: the page comes back with what was typed and why.
            let current = match s.app.orders().get_order(&p.ctx, id, false).await {
                Ok(c) => c,
                Err(e) => return app_error(&p, e),
            };
            let stale = matches!(e, AppError::PreconditionFailed { .. });
            let errors = field_messages(p.lang, &e);
            let on_fields = !stale && errors.iter().all(|m| m.field.contains('.'));
            let notice = Some((
                if on_fields {
                    Msgs::of(p.lang).get("wz.fix_first").to_owned()
                } else {
                    refusal_message(p.lang, &e)
                },
                false,
            ));
            let posted = (!stale).then_some(&view);
            let r = Rendered { errors, posted, ..Rendered::notice(step, notice) };
            render_step(&s, &p, current, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&p, e),
    }
}

/// What saving a step gave: the view as posted (to show again), the save's result, and the
/// fields that were not taken (saved without them).
type StepSave = (Value, Result<OrderView, AppError>, Vec<FieldError>);

/// Applies a step's post to the order as it is now and saves it (`version` `None`: whatever the
/// current version is), every field that can be read even when others cannot.
pub(super) async fn save_step(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    step: &'static str,
    f: &Pairs,
    action: &str,
    version: Option<i64>,
) -> Result<StepSave, Box<Response>> {
    let v = match s.app.orders().get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return Err(Box::new(app_error(p, e))),
    };
    let mut view = match serde_json::to_value(&v.order) {
        Ok(x) => x,
        Err(e) => return Err(Box::new(app_error(p, AppError::Internal(e.into())))),
    };
    let mut refused = Refused::default();
    let result = apply(step, &mut view, f).and_then(|r| {
        refused = r;
        change_services(&mut view, action);
        // The form only offers values the model takes; the error's text could echo what was
        // typed, so it is not shown.
        serde_json::from_value::<Order>(view.clone())
            .map_err(|_| AppError::field("body", "FORM_INVALID", Text::new("problem.form_invalid")))
    });
    let facts = if step == "access" { apply_facts(f, &v.domain_facts) } else { Ok(v.domain_facts.clone()) };
    let saved = match result.and_then(|order| facts.map(|facts| (order, facts))) {
        Ok((order, domain_facts)) => {
            let input = OrderInput {
                subject_id: v.subject_id,
                kind: None,
                websites: order.websites,
                apps: order.apps,
                target_numbers: order.target_numbers,
                cancel_reason: order.cancel_reason,
                remark: order.remark,
                domain_facts,
            };
            s.app
                .drafts()
                .save_draft(&p.ctx, id, Some(version.unwrap_or(v.version)), order.subject, input)
                .await
        }
        Err(e) => Err(e),
    };
    for (path, typed) in refused.typed {
        set(&mut view, &path, typed);
    }
    for (path, at, row) in refused.rows {
        insert_row(&mut view, &path, at, row);
    }
    Ok((view, saved, refused.errors))
}
