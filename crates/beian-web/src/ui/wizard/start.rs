//! The start page: subject type, certificate, domain and province decide the order kind
//! (`Drafts::start_filing`), then the wizard opens on the new or resumed draft.

use super::*;
use beian_app::i18n::Text;

/// The start page: what decides the order kind.
#[derive(Template)]
#[template(path = "start.html")]
pub(super) struct StartPage {
    pub(super) c: Chrome,
    pub(super) provinces: Vec<Opt>,
    pub(super) natures: Vec<Opt>,
    pub(super) cert_kinds: Vec<Opt>,
    pub(super) services: Vec<Opt>,
    pub(super) values: Vec<(String, String)>,
    pub(super) errors: Vec<FieldMsg>,
}

impl StartPage {
    pub(super) fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }
}

pub(super) fn start_page(
    p: &PageCtx,
    values: Vec<(String, String)>,
    errors: Vec<FieldMsg>,
    status: StatusCode,
) -> Response {
    let lang = p.lang;
    let chosen =
        |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let opts = |list: Vec<(String, String)>, name: &str| {
        let c = chosen(name);
        list.into_iter().map(|(value, label)| Opt { selected: value == c, value, label }).collect()
    };
    let provinces = beian_core::province::provinces()
        .iter()
        .map(|pr| (pr.code.to_string(), if lang == Lang::En { pr.name_en } else { pr.name }.to_owned()))
        .collect();
    let page = StartPage {
        c: Chrome::new(p, "wz.start.title"),
        provinces: opts(provinces, "province"),
        natures: opts(options(Input::Nature, lang), "nature"),
        cert_kinds: opts(options(Input::CertKind { personal: false }, lang), "cert_kind"),
        services: opts(
            ["website", "app"]
                .iter()
                .map(|k| ((*k).to_owned(), Msgs::of(lang).get(&format!("wz.start.service.{k}")).to_owned()))
                .collect(),
            "service",
        ),
        values,
        errors,
    };
    render(&page, status)
}

pub(in crate::ui) async fn start_form(SignedIn(p): SignedIn) -> Response {
    start_page(&p, vec![("province".into(), "33".into())], Vec::new(), StatusCode::OK)
}

pub(in crate::ui) async fn start(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let text = |k: &str| posted(&f, k).map(str::trim).unwrap_or_default().to_owned();
    let values: Vec<(String, String)> =
        ["province", "service", "nature", "cert_kind", "cert_number", "name", "domain", "existing_number"]
            .iter()
            .map(|k| ((*k).to_owned(), text(k)))
            .collect();
    let parsed = (|| {
        let province = beian_core::province::ProvinceCode::parse(&text("province")).ok_or_else(|| {
            AppError::field("province", "CHOICE_INVALID", Text::new("problem.choice_invalid.province"))
        })?;
        let nature: SubjectNature = serde_json::from_value(Value::String(text("nature"))).map_err(|_| {
            AppError::field("nature", "CHOICE_INVALID", Text::new("problem.choice_invalid.nature"))
        })?;
        let kind: CertificateKind =
            serde_json::from_value(Value::String(text("cert_kind"))).map_err(|_| {
                AppError::field("cert_kind", "CHOICE_INVALID", Text::new("problem.choice_invalid.cert_kind"))
            })?;
        if text("name").is_empty() {
            return Err(AppError::field("name", "NAME_MISSING", Text::new("problem.name_missing")));
        }
        Ok(FilingStart {
            province,
            nature,
            certificate: Certificate { kind, number: text("cert_number") },
            name: text("name"),
            domain: text("domain"),
            app: text("service") == "app",
            existing_number: Some(text("existing_number")).filter(|n| !n.is_empty()),
        })
    })();
    let result = match parsed {
        Ok(start) => s.app.drafts().start_filing(&p.ctx, start).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(started) => {
            let q = if started.resumed { "?resumed=1" } else { "" };
            Redirect::to(&format!("/app/orders/{}/edit/subject{q}", started.order_id)).into_response()
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            // The subject's certificate is checked as the subject's: name it as the form does.
            let errors = field_messages(p.lang, &e)
                .into_iter()
                .map(|mut m| {
                    m.field = match m.field.as_str() {
                        "subject.certificate.number" => "cert_number".into(),
                        "subject.name" => "name".into(),
                        _ => m.field,
                    };
                    m
                })
                .collect();
            start_page(&p, values, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => app_error(&p, e),
    }
}
