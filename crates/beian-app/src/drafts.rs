//! The guided filing's server side: how a filing starts (which subject, which order kind, as
//! the provider consoles decide it from subject type, certificate, domain and province) and how
//! a draft's subject and order are saved together.
//!
//! The pages call these; the JSON API keeps its finer-grained subject and order endpoints. This
//! module must never decide a rule itself: the kind comes from `OrderKind::decide`, every check
//! of the content from the rule engine when the order is checked.

use beian_core::id::DomainName;
use beian_core::model::{
    Access, App as AppService, Certificate, CertificateKind, OrderKind, Person, Subject, SubjectNature,
    Website, normalize_cert,
};
use beian_core::model::{KindDecision, OnFile};
use beian_core::number::Number;
use beian_core::province::ProvinceCode;
use beian_store::Uuid;
use serde_json::json;

use crate::areas::Drafts;
use crate::i18n::Text;
use crate::orders::OrderInput;
use crate::seam::miit::status::{BureauView, asked_domain};
use crate::subjects::SubjectInput;
use crate::views::{OrderDoc, OrderView, unmask_subject};
use crate::{AppError, AppResult, Ctx, FieldError, Role};

/// The first questions of a filing, as the provider consoles ask them.
#[derive(Debug, Clone)]
pub struct FilingStart {
    pub province: ProvinceCode,
    pub nature: SubjectNature,
    pub certificate: Certificate,
    /// The subject's name (an individual's own name).
    pub name: String,
    /// The website's main domain (an app's: the domain its service is reached at).
    pub domain: String,
    /// The filing is for an app (APP, mini program, quick app) rather than a website.
    pub app: bool,
    /// A number the subject or the website already has elsewhere, if the applicant knows one:
    /// `浙ICP备2026012345号` (subject filed) or `浙ICP备2026012345号-1` (website filed).
    pub existing_number: Option<String>,
}

/// Where a started filing went.
#[derive(Debug, Clone)]
pub struct StartedFiling {
    pub order_id: Uuid,
    pub kind: OrderKind,
    /// An open order of the subject existed and is continued rather than a new one started.
    pub resumed: bool,
}

fn blank_person(kind: CertificateKind) -> Person {
    Person {
        name: String::new(),
        certificate: Certificate { kind, number: String::new() },
        certificate_valid_until: None,
        mobile: String::new(),
        emergency_phone: String::new(),
        office_phone: None,
        email: String::new(),
        authorization_letter: false,
    }
}

/// A filed number the applicant typed: a subject's, or a website's (with `-n`).
fn existing(number: Option<&str>) -> AppResult<Option<(String, bool)>> {
    let Some(text) = number.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    match beian_core::number::parse(text) {
        Ok(p) => match p.number {
            Number::IcpFiling(n) => Ok(Some((n.subject().to_string(), n.service().is_some()))),
            _ => Err(AppError::field(
                "existing_number",
                "EXISTING_NUMBER_NOT_FILING",
                Text::new("problem.existing_number_not_filing"),
            )),
        },
        Err(e) => Err(AppError::Validation(vec![FieldError::new("existing_number", &e)])),
    }
}

impl Drafts<'_> {
    /// Starts (or resumes) a filing: finds the caller's subject by its certificate or creates
    /// it, works the order kind out from what is on file, and opens a draft with the domain.
    /// Starts (or resumes) a filing for one of the caller's subjects: the start's questions
    /// about the subject are answered from the subject on file.
    pub async fn start_filing_for_subject(
        self,
        ctx: &Ctx,
        subject_id: Uuid,
        domain: String,
        app: bool,
        existing_number: Option<String>,
    ) -> AppResult<StartedFiling> {
        let row = self.subjects().visible_subject(ctx, subject_id).await?;
        if row.owner_id != ctx.principal()?.id {
            return Err(AppError::NotFound);
        }
        let s = self.subjects().decrypt_subject(&row)?;
        let province = ProvinceCode::parse(&row.province)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored subject has no province")))?;
        let start = FilingStart {
            province,
            nature: s.nature,
            certificate: s.certificate,
            name: s.name,
            domain,
            app,
            existing_number,
        };
        self.start_filing(ctx, start).await
    }

    pub async fn start_filing(self, ctx: &Ctx, start: FilingStart) -> AppResult<StartedFiling> {
        let p = ctx.require(&[Role::Applicant, Role::Admin])?;
        let domain = DomainName::parse(&start.domain)
            .map_err(|e| AppError::Validation(vec![FieldError::new("domain", &e)]))?
            .value
            .to_unicode();
        let filed = existing(start.existing_number.as_deref())?;
        let index = self.keys().blind_index("cert", &normalize_cert(&start.certificate.number));
        self.review().refuse_blacklisted(&index, &[("domain".to_owned(), domain.clone())]).await?;
        let mine = self
            .store()
            .subjects_by_cert_index(&index)
            .await?
            .into_iter()
            .find(|s| s.owner_id == p.id && s.province == start.province.to_string());
        // What the bureau has on file decides the kind too, not only what the applicant typed
        // and this provider knows; a domain filed under another subject stops here.
        let bureau =
            self.seam().bureau_view(start.nature, &start.certificate, std::slice::from_ref(&domain)).await;
        let known_number = mine
            .as_ref()
            .and_then(|s| s.filed_number.clone())
            .or_else(|| filed.as_ref().map(|(n, _)| n.clone()))
            .or_else(|| {
                bureau.as_ref().and_then(|b| b.subject.as_ref()?.subject_number().map(str::to_owned))
            });
        if bureau.as_ref().is_some_and(|b| !b.filed_elsewhere(known_number.as_deref()).is_empty()) {
            return Err(AppError::field(
                "domain",
                "DOMAIN_FILED_ELSEWHERE",
                Text::new("problem.domain_filed_elsewhere"),
            ));
        }
        let subject_row = match mine {
            Some(row) => {
                if let Some(open) = self.store().open_order_of_subject(row.id).await? {
                    let kind = self.store().order(open).await?.ok_or(AppError::NotFound)?.kind;
                    let kind = serde_json::from_value(json!(kind))?;
                    return Ok(StartedFiling { order_id: open, kind, resumed: true });
                }
                row
            }
            None => {
                let individual = start.nature.is_individual();
                let head = if individual {
                    Person {
                        name: start.name.clone(),
                        certificate: start.certificate.clone(),
                        ..blank_person(start.certificate.kind)
                    }
                } else {
                    blank_person(CertificateKind::ResidentId)
                };
                let subject = Subject {
                    nature: start.nature,
                    name: start.name.trim().to_owned(),
                    certificate: start.certificate.clone(),
                    region: String::new(),
                    certificate_address: String::new(),
                    mailing_address: String::new(),
                    head,
                    head_is_legal_representative: false,
                    residence_permit: false,
                    investor: None,
                    existing_number: known_number.clone(),
                    remark: None,
                };
                let view = self
                    .subjects()
                    .create_subject(ctx, SubjectInput { province: start.province, subject })
                    .await?;
                self.store().subject(view.id).await?.ok_or(AppError::NotFound)?
            }
        };
        let services = if subject_row.filed_number.is_some() {
            self.seam().filed_services(subject_row.id).await?
        } else {
            Vec::new()
        };
        let on_file = OnFile {
            subject_filed: subject_row.filed_number.is_some()
                || filed.is_some()
                || bureau.as_ref().is_some_and(BureauView::subject_filed),
            subject_filed_here: !self.store().subject_filings(subject_row.id).await?.is_empty(),
            service_filed: filed.as_ref().is_some_and(|(_, site)| *site)
                || services.iter().any(|s| s.domains.contains(&domain))
                || bureau.as_ref().is_some_and(|b| {
                    asked_domain(&domain).is_some_and(|d| b.filed_under_subject(&d, known_number.as_deref()))
                }),
            service_filed_here: services.iter().any(|s| s.domains.contains(&domain)),
        };
        let kind = match OrderKind::decide(on_file) {
            KindDecision::Kind(k) => k,
            KindDecision::AlreadyFiledHere => {
                return Err(AppError::field(
                    "domain",
                    "SERVICE_ALREADY_FILED_HERE",
                    Text::new("problem.service_already_filed_here"),
                ));
            }
        };
        let subject = self.subjects().decrypt_subject(&subject_row)?;
        let website = Website {
            name: String::new(),
            domains: vec![domain],
            service_content: Vec::new(),
            languages: vec!["中文简体".to_owned()],
            pre_approvals: Vec::new(),
            head: subject.head.clone(),
            access: Access::default(),
            remark: None,
            existing_number: start.existing_number.filter(|_| kind == OrderKind::NewAccess),
        };
        let (websites, apps) = if start.app {
            let app = AppService {
                name: String::new(),
                kind: beian_core::number::ServiceKind::App,
                platforms: Vec::new(),
                domains: website.domains,
                service_content: Vec::new(),
                languages: website.languages,
                pre_approvals: Vec::new(),
                head: website.head,
                access: Access::default(),
                remark: None,
                existing_number: website.existing_number,
            };
            (Vec::new(), vec![app])
        } else {
            (vec![website], Vec::new())
        };
        let view = self
            .orders()
            .create_order(
                ctx,
                OrderInput {
                    subject_id: subject_row.id,
                    kind: Some(kind),
                    websites,
                    apps,
                    target_numbers: Vec::new(),
                    cancel_reason: None,
                    remark: None,
                    domain_facts: Default::default(),
                },
            )
            .await?;
        Ok(StartedFiling { order_id: view.id, kind, resumed: false })
    }

    /// Saves a draft's subject and order in one transaction (`If-Match` on the order). Masked
    /// values sent back are kept, as on the API. The subject's certificate cannot change here:
    /// a different certificate is a different subject, started anew.
    pub async fn save_draft(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        subject: Subject,
        input: OrderInput,
    ) -> AppResult<OrderView> {
        let (row, expected) = self.orders().own_editable_order(ctx, id, if_match, input.subject_id).await?;
        let subject_row = self.store().subject(row.subject_id).await?.ok_or(AppError::NotFound)?;
        let stored_subject = self.subjects().decrypt_subject(&subject_row)?;
        // A service head sent as an exact copy of the subject head (masked as the form showed
        // it) is the subject head: it gets the subject head's stored values.
        let sent_head = subject.head.clone();
        let mut s = subject;
        unmask_subject(&mut s, &stored_subject);
        if normalize_cert(&s.certificate.number) != normalize_cert(&stored_subject.certificate.number) {
            return Err(AppError::field(
                "subject.certificate.number",
                "SUBJECT_CERTIFICATE_FIXED",
                Text::new("problem.subject_certificate_fixed"),
            ));
        }
        let stored = self.orders().decrypt_order(&row)?;
        let kind = input.kind.unwrap_or(stored.order.kind);
        let mut order = stored.order.clone();
        order.kind = kind;
        order.websites = input.websites;
        order.apps = input.apps;
        order.target_numbers = input.target_numbers;
        order.remark = input.remark;
        crate::views::unmask_order(&mut order, &stored.order);
        for w in order.websites.iter_mut().filter(|w| w.head == sent_head) {
            w.head = s.head.clone();
        }
        for a in order.apps.iter_mut().filter(|a| a.head == sent_head) {
            a.head = s.head.clone();
        }
        order.subject = s.clone();
        crate::changes::follow_changes(&mut order, stored.filed.as_ref());
        let now = self.now_us();
        let subject_changed = s != stored_subject;
        let doc = OrderDoc {
            order,
            domain_facts: input.domain_facts,
            verification: stored.verification,
            filed: stored.filed,
        };
        let update = self.orders().edited(&row, &doc, now).await?;
        let mut tx = self.store().begin().await?;
        if subject_changed {
            let new = beian_store::SubjectRow {
                nature: serde_json::to_value(s.nature)?.as_str().unwrap_or_default().to_owned(),
                name: s.name.trim().to_owned(),
                data: self.keys().encrypt(
                    &crate::areas::Subjects::subject_aad(subject_row.id),
                    &serde_json::to_vec(&s)?,
                )?,
                updated_at: now,
                ..subject_row.clone()
            };
            if !tx.update_subject(&new, subject_row.version).await? {
                return Err(AppError::PreconditionFailed { current_version: row.version });
            }
            tx.audit(&ctx.audit("subject.update", "subject", subject_row.id, json!({ "via": "draft" })), now)
                .await?;
        }
        if !tx.update_order(id, expected, &update).await? {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        tx.audit(&ctx.audit("order.update", "order", id, json!({ "via": "draft" })), now).await?;
        tx.commit().await?;
        let row = self.store().order(id).await?.ok_or(AppError::NotFound)?;
        self.orders().order_view(&row, false).await
    }

    /// The documents an order needs, each with what is uploaded for it; a face photo comes
    /// with the newest ID portrait (`id_front`) of the same person, to be compared side by side.
    pub async fn document_checklist(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<DocumentSlot>> {
        let row = self.orders().visible_order(ctx, id).await?;
        let doc = self.orders().decrypt_order(&row)?;
        let rows = self.store().documents_of_order(id).await?;
        let docs: Vec<crate::documents::DocumentView> = rows.iter().map(Into::into).collect();
        let automatic = self.verifier().automatic();
        let persons = doc.order.persons();
        let cert_of = |path: &str| {
            persons
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, person)| normalize_cert(&person.certificate.number))
        };
        Ok(crate::requirements::required_documents(&doc.order)
            .into_iter()
            .map(|(kind, path)| {
                let portrait = (kind == "face_photo")
                    .then(|| {
                        let cert = cert_of(&path);
                        docs.iter()
                            .filter(|d| {
                                d.kind == "id_front" && cert.is_some() && cert_of(&d.subject_path) == cert
                            })
                            .max_by(|a, b| a.created_at.cmp(&b.created_at))
                            .map(|d| d.id)
                    })
                    .flatten();
                let uploaded =
                    docs.iter().filter(|d| d.kind == kind && d.subject_path == path).cloned().collect();
                let (face, face_check) = if kind == "face_photo" {
                    let counts = crate::verify::newest(
                        rows.iter().filter(|d| d.kind == kind && d.subject_path == path),
                    );
                    let check = counts
                        .and_then(|d| docs.iter().find(|v| v.id == d.id))
                        .and_then(|v| v.face_check.clone());
                    (Some(crate::verify::face_state(automatic, counts)), check)
                } else {
                    (None, None)
                };
                DocumentSlot { kind, path, uploaded, portrait, face, face_check }
            })
            .collect())
    }
}

/// One document an order needs.
#[derive(Debug, Clone)]
pub struct DocumentSlot {
    pub kind: String,
    /// The JSON path of whose document it is: `subject`, `subject.head`, `websites[0].head`.
    pub path: String,
    pub uploaded: Vec<crate::documents::DocumentView>,
    pub portrait: Option<Uuid>,
    /// Where a face photo stands, and the vendor's verdict on the photo that counts (face
    /// photos only).
    pub face: Option<crate::verify::FaceState>,
    pub face_check: Option<crate::documents::FaceCheckView>,
}
