//! The provider profile tab: the provider's name, region, phone and organisation code as the
//! bureau knows them.

use super::kit::*;

pub(in crate::ui) async fn profile(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let view = loaded(&p, s.app.admin().provider_profile(&p.ctx)).await?;
    let pr = view.profile.unwrap_or(beian_app::profile::ProviderProfile {
        name: String::new(),
        region: String::new(),
        phone: String::new(),
        organization_code: String::new(),
        access_method: String::new(),
    });
    let methods = beian_core::psb::access_methods()
        .iter()
        .map(|c| (c.code.clone(), if p.lang == Lang::En { c.en.clone() } else { c.zh.clone() }))
        .collect();
    let mut sec = Section::new(t(&p, "admin.profile"));
    sec.note = Some(t(&p, "admin.profile.note"));
    sec.forms.push(FormSpec {
        action: "/admin/profile".into(),
        method: "post",
        fields: vec![
            input("version", "", "hidden", view.version.to_string()),
            input("name", &t(&p, "admin.profile.name"), "text", pr.name),
            input("region", &t(&p, "admin.profile.region"), "text", pr.region),
            input("phone", &t(&p, "admin.profile.phone"), "text", pr.phone),
            input("organization_code", &t(&p, "admin.profile.org"), "text", pr.organization_code),
            select("access_method", &t(&p, "admin.profile.method"), &pr.access_method, methods),
        ],
        submit: t(&p, "admin.save"),
        id: "profile-form".into(),
    });
    Ok(page(&p, "profile", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn save_profile(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let profile = beian_app::profile::ProviderProfile {
        name: one(&f, "name").to_owned(),
        region: one(&f, "region").to_owned(),
        phone: one(&f, "phone").to_owned(),
        organization_code: one(&f, "organization_code").to_owned(),
        access_method: one(&f, "access_method").to_owned(),
    };
    let version = one(&f, "version").parse().ok();
    step(&p, "profile", s.app.admin().put_provider_profile(&p.ctx, version, profile)).await
}
