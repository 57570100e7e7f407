//! The documents step's uploads (a refused upload says why), serving an uploaded document to its
//! owner, and the final submission.

use super::*;

/// An upload from the documents or identity step (a plain form post, or the page's script
/// with progress). The step comes back with the result beside the document.
pub(in crate::ui) async fn upload(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let t = Msgs::of(p.lang);
    let (mut kind, mut path, mut csrf, mut file, mut declared) =
        (String::new(), String::new(), String::new(), None::<Vec<u8>>, None);
    let mut failure: Option<String> = None;
    match mp {
        Ok(mut mp) => loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    if name == "file" {
                        // The form sends its token before the file (it comes first in the
                        // form), so a forged post is refused before its body is read.
                        if !p.token_ok(Some(&csrf)) {
                            // The rest of the body stays unread: the connection cannot carry
                            // another request, and the client must be told so.
                            let mut r = error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
                            r.headers_mut().insert(
                                axum::http::header::CONNECTION,
                                axum::http::HeaderValue::from_static("close"),
                            );
                            return r;
                        }
                        declared = field.content_type().map(str::to_owned);
                        match field.bytes().await {
                            Ok(b) => file = Some(b.to_vec()),
                            Err(_) => {
                                failure = Some(t.get("wz.upload.too_large").to_owned());
                                break;
                            }
                        }
                    } else {
                        let text = field.text().await.unwrap_or_default();
                        match name.as_str() {
                            "kind" => kind = text,
                            "subject_path" => path = text,
                            "csrf_token" => csrf = text,
                            _ => {}
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failure = Some(t.get("wz.upload.too_large").to_owned());
                    break;
                }
            }
        },
        Err(_) => failure = Some(t.get("wz.upload.unreadable").to_owned()),
    }
    if p.csrf.is_none() || (failure.is_none() && !p.token_ok(Some(&csrf))) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let step = if kind == "face_photo" { "verification" } else { "documents" };
    let result = match (failure, file) {
        (Some(m), _) => Err(m),
        (None, None) => Err(t.get("wz.upload.no_file").to_owned()),
        (None, Some(bytes)) if bytes.is_empty() => Err(t.get("wz.upload.no_file").to_owned()),
        (None, Some(bytes)) => s
            .app
            .documents()
            .upload_document(
                &p.ctx,
                id,
                beian_app::documents::Upload {
                    kind: kind.clone(),
                    subject_path: path.clone(),
                    declared_type: declared,
                    bytes,
                },
            )
            .await
            .map_err(|e| match e {
                AppError::PayloadTooLarge { .. } => t.get("wz.upload.too_large").to_owned(),
                e => refusal_message(p.lang, &e),
            }),
    };
    let v = match s.app.orders().get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    match result {
        Ok(_) => {
            let notice = Some((t.get("wz.upload.done").to_owned(), true));
            render_step(&s, &p, v, Rendered::notice(step, notice), StatusCode::OK).await
        }
        Err(m) => {
            let r = Rendered {
                upload_error: Some((kind, path, m.clone())),
                ..Rendered::notice(step, Some((m, false)))
            };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A document's bytes for the applicant's preview (every view is audited by the app).
pub(in crate::ui) async fn document(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    match s.app.documents().view_document(&p.ctx, id).await {
        Ok((d, bytes)) => crate::headers::document(d.id, &d.content_type, bytes),
        Err(e) => app_error(&p, e),
    }
}

/// Submits the order from the confirmation step.
pub(in crate::ui) async fn submit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let version = posted(&f, "version").and_then(|v| v.parse().ok());
    match s.app.orders().submit_order(&p.ctx, id, version).await {
        Ok(_) => Redirect::to(&format!("/app/orders/{id}")).into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            let v = match s.app.orders().get_order(&p.ctx, id, false).await {
                Ok(v) => v,
                Err(e) => return app_error(&p, e),
            };
            let notice = Some((refusal_message(p.lang, &e), false));
            let r = Rendered { insist: true, ..Rendered::notice("confirm", notice) };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&p, e),
    }
}
