//! The audit tab: the audit log with filters and its CSV export.

use super::kit::*;

#[derive(Debug, Default, Deserialize)]
pub(in crate::ui) struct AuditQuery {
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    /// The page's cursor: entries older than this one (anything else: the newest page).
    #[serde(default)]
    before: String,
}

/// Audit entries per page.
const AUDIT_ROWS: i64 = 50;

pub(in crate::ui) async fn audit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let object = Some((q.object_type.trim().to_owned(), q.object_id.trim().to_owned()))
        .filter(|(ty, id)| !ty.is_empty() && !id.is_empty());
    let list =
        loaded(&p, s.app.admin().audit_log_newest(&p.ctx, object.clone(), q.before.parse().ok(), AUDIT_ROWS))
            .await?;
    let mut sec = Section::new(t(&p, "admin.audit"));
    let csv = match &object {
        Some((ty, id)) => format!(
            "/api/v1/admin/audit?format=csv&object_type={}&object_id={}",
            url_encode(ty),
            url_encode(id)
        ),
        None => "/api/v1/admin/audit?format=csv&limit=1000".into(),
    };
    sec.links = vec![(csv, t(&p, "admin.audit.csv"))];
    if let Some(last) = list.last().filter(|_| list.len() as i64 == AUDIT_ROWS) {
        let older = format!(
            "/admin/audit?object_type={}&object_id={}&before={}",
            url_encode(&q.object_type),
            url_encode(&q.object_id),
            last.id
        );
        sec.links.push((older, t(&p, "home.more")));
    }
    sec.forms.push(FormSpec {
        action: "/admin/audit".into(),
        method: "get",
        fields: vec![
            input("object_type", &t(&p, "admin.col.object_type"), "text", q.object_type.clone()),
            input("object_id", &t(&p, "admin.col.object_id"), "text", q.object_id.clone()),
        ],
        submit: t(&p, "review.filter.apply"),
        id: "audit-filter".into(),
    });
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.at"),
            t(&p, "admin.col.role"),
            t(&p, "admin.col.action"),
            t(&p, "admin.col.object"),
            t(&p, "admin.col.ip"),
        ],
        rows: list
            .into_iter()
            .map(|a| Row {
                cells: vec![
                    cell(short_time(&a.at)),
                    cell(a.actor_role),
                    mono(a.action),
                    Cell {
                        href: Some(format!(
                            "/admin/audit?object_type={}&object_id={}",
                            url_encode(&a.object_type),
                            url_encode(&a.object_id)
                        )),
                        ..mono(format!("{} {}", a.object_type, a.object_id))
                    },
                    mono(a.ip.unwrap_or_default()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    Ok(page(&p, "audit", None, vec![sec]))
}
