//! Documents: uploads (sniffed, re-encoded, encrypted) and reading them back. The handlers
//! extract, call one use case and render; `operations` registers them with their OpenAPI
//! description.

use super::*;
use beian_app::i18n::Text;

pub async fn upload_document(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Form(mut mp): Form,
) -> ApiResult {
    let bad = |field: &str, text: Text| ApiError::from(AppError::field(field, "MULTIPART_INVALID", text));
    let (mut kind, mut path, mut file, mut declared) = (None, None, None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::from(AppError::PayloadTooLarge {
                    limit: s.app.config().max_upload_bytes,
                }));
            }
            Err(_) => {
                return Err(bad("body", Text::new("problem.multipart_invalid")));
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "kind" | "subject_path" => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| bad(&name, Text::new("problem.multipart_invalid.utf8")))?;
                if name == "kind" { kind = Some(text) } else { path = Some(text) }
            }
            "file" => {
                declared = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| {
                    ApiError::from(AppError::PayloadTooLarge { limit: s.app.config().max_upload_bytes })
                })?;
                file = Some(bytes.to_vec());
            }
            other => return Err(bad(other, Text::new("problem.multipart_invalid.unknown"))),
        }
    }
    let (Some(kind), Some(subject_path), Some(bytes)) = (kind, path, file) else {
        return Err(bad("body", Text::new("problem.multipart_invalid.incomplete")));
    };
    let d = s
        .app
        .documents()
        .upload_document(&c.ctx, id, Upload { kind, subject_path, declared_type: declared, bytes })
        .await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

pub async fn list_documents(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.documents().list_documents(&c.ctx, id).await?)
}

pub async fn get_document(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let (d, bytes) = s.app.documents().view_document(&c.ctx, id).await?;
    Ok(crate::headers::document(d.id, &d.content_type, bytes))
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "post",
        "/orders/{id}/documents",
        post(upload_document).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        Op::new("documents", "Upload a document (JPEG, PNG or PDF; images are re-encoded)")
            .multipart(crate::openapi::upload_fields)
            .returns::<DocumentView>(201),
    )
    .op(
        "get",
        "/orders/{id}/documents",
        get(list_documents),
        Op::new("documents", "The order's documents").returns::<Vec<DocumentView>>(200),
    )
    .op(
        "get",
        "/documents/{id}",
        get(get_document),
        Op::new("documents", "A document's bytes (every view is audited)").binary(),
    )
}
