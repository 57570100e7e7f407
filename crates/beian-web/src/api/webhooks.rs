//! Webhooks for the operator's systems and chat robots (admins), and further notification
//! recipients of the signed-in account. The handlers extract, call one use case and render;
//! `operations` registers them with their OpenAPI description.

use super::*;
use axum::routing::patch;
use beian_app::recipients::{NewRecipient, RecipientView};
use beian_app::webhooks::{DeliveryView, EventKindView, NewWebhook, WebhookChange, WebhookView};

pub async fn events(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.webhooks().webhook_events(&c.ctx)?)
}

pub async fn list(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.webhooks().list_webhooks(&c.ctx).await?)
}

pub async fn create(State(s): State<AppState>, c: Caller, JsonBody(b): JsonBody<NewWebhook>) -> ApiResult {
    let v = s.app.webhooks().create_webhook(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn change(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<WebhookChange>,
) -> ApiResult {
    ok(s.app.webhooks().change_webhook(&c.ctx, id, b).await?)
}

pub async fn remove(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.webhooks().delete_webhook(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn deliveries(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.webhooks().webhook_deliveries(&c.ctx, id).await?)
}

pub async fn ping(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.webhooks().ping_webhook(&c.ctx, id).await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

pub async fn retry(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.webhooks().retry_webhook_delivery(&c.ctx, id).await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

pub async fn recipients(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.notify().recipients(&c.ctx).await?)
}

pub async fn add_recipient(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<NewRecipient>,
) -> ApiResult {
    let v = s.app.notify().add_recipient(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn delete_recipient(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.notify().delete_recipient(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// This file's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "get",
        "/admin/webhook-events",
        get(events),
        Op::new("admin", "The event kinds a webhook can take (admin)").returns::<Vec<EventKindView>>(200),
    )
    .op(
        "get",
        "/admin/webhooks",
        get(list),
        Op::new("admin", "Webhooks to the operator's systems and chat robots (admin)").returns::<Vec<WebhookView>>(200),
    )
    .op(
        "post",
        "/admin/webhooks",
        post(create),
        Op::new(
            "admin",
            "Add a webhook: generic JSON signed as Standard Webhooks (its secret is in this answer only), or a \
             WeCom, DingTalk or Feishu robot (admin)",
        )
        .body::<NewWebhook>()
        .returns::<WebhookView>(201),
    )
    .op(
        "patch",
        "/admin/webhooks/{id}",
        patch(change),
        Op::new("admin", "Turn a webhook on or off, or change the events it takes (admin)")
            .body::<WebhookChange>()
            .returns::<WebhookView>(200),
    )
    .op(
        "delete",
        "/admin/webhooks/{id}",
        delete(remove),
        Op::new("admin", "Delete a webhook and its delivery log (admin)").no_content(),
    )
    .op(
        "get",
        "/admin/webhooks/{id}/deliveries",
        get(deliveries),
        Op::new("admin", "A webhook's delivery log, newest first: each event, its tries and the last answer (admin)")
            .returns::<Vec<DeliveryView>>(200),
    )
    .op(
        "post",
        "/admin/webhooks/{id}/ping",
        post(ping),
        Op::new("admin", "Send a test event to a webhook through the queue (admin)").returns::<DeliveryView>(202),
    )
    .op(
        "post",
        "/admin/webhook-deliveries/{id}/retry",
        post(retry),
        Op::new("admin", "Send a failed or abandoned delivery again from its first try (admin)")
            .returns::<DeliveryView>(202),
    )
    .op(
        "get",
        "/me/recipients",
        get(recipients),
        Op::new("accounts", "Further recipients of the account's notifications (masked)")
            .returns::<Vec<RecipientView>>(200),
    )
    .op(
        "post",
        "/me/recipients",
        post(add_recipient),
        Op::new("accounts", "Add a further recipient of the account's notifications (at most 10)")
            .body::<NewRecipient>()
            .returns::<RecipientView>(201),
    )
    .op(
        "delete",
        "/me/recipients/{id}",
        delete(delete_recipient),
        Op::new("accounts", "Remove a further recipient").no_content(),
    )
}
