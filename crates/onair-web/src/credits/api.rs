//! `GET /api/me/credits` and `POST /api/admin/credits`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, Role, StreamId};
use onair_store::{Applied, CreditEntry, Page, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::credits::service;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::streams::view::Pagination;

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/me/credits", get(ledger::<S>))
        .route("/api/admin/credits", post(admin_grant::<S>))
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    pub id: i64,
    /// Positive for grants, negative for charges.
    pub delta: i64,
    pub balance_after: i64,
    /// `signup_grant`, `admin_grant`, `go_live` or `live_minute`.
    #[schema(value_type = String)]
    pub reason: &'static str,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub stream_id: Option<StreamId>,
    pub created_at: DateTime<Utc>,
}

impl From<CreditEntry> for EntryView {
    fn from(e: CreditEntry) -> Self {
        Self {
            id: e.id,
            delta: e.delta.get(),
            balance_after: e.balance_after.get(),
            reason: e.reason.as_str(),
            stream_id: e.stream,
            created_at: e.created_at,
        }
    }
}

/// The balance and a page of the ledger, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerView {
    pub balance: i64,
    pub entries: Vec<EntryView>,
    pub pagination: Pagination,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// 1-based, default 1.
    pub page: Option<u32>,
    /// 1–100, default 20.
    pub limit: Option<u32>,
}

/// The caller's balance and ledger.
#[utoipa::path(get, path = "/api/me/credits", tag = "credits", params(LedgerParams),
    responses((status = 200, body = LedgerView), (status = 401)))]
pub async fn ledger<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(account): AuthUser,
    query: Result<Query<LedgerParams>, QueryRejection>,
) -> AppResult<Json<LedgerView>> {
    let Query(params) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let mut errors = FieldErrors::default();
    let page = params.page.unwrap_or(1);
    let limit = params.limit.unwrap_or(20);
    if page == 0 {
        errors.add("page", "must be at least 1");
    }
    if !(1..=100).contains(&limit) {
        errors.add("limit", "must be from 1 to 100");
    }
    errors.finish()?;
    let (entries, total) = state
        .store
        .credit_entries(account.id, Page { page, limit })
        .await?;
    // Read the balance after the page so it is never older than the entries shown.
    let balance = state.store.account(account.id).await?.balance;
    Ok(Json(LedgerView {
        balance: balance.get(),
        entries: entries.into_iter().map(EntryView::from).collect(),
        pagination: Pagination::new(page, limit, total),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantRequest {
    #[schema(value_type = String, format = Uuid)]
    pub account_id: String,
    /// Positive amount.
    pub amount: i64,
    /// Makes a retried grant a no-op.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantResponse {
    /// The balance after the grant (absent when the key was already used).
    pub balance: Option<i64>,
    pub duplicate: bool,
}

/// Grants credits to an account. Admins only.
#[utoipa::path(post, path = "/api/admin/credits", tag = "credits", request_body = GrantRequest,
    responses((status = 200, body = GrantResponse), (status = 403), (status = 404), (status = 422)))]
pub async fn admin_grant<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(admin): AuthUser,
    ApiJson(req): ApiJson<GrantRequest>,
) -> AppResult<Json<GrantResponse>> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden("only admins can grant credits"));
    }
    let mut errors = FieldErrors::default();
    let account = req.account_id.parse::<AccountId>().ok();
    if account.is_none() {
        errors.add("accountId", "must be an account id");
    }
    let amount = Credits::positive(req.amount).ok();
    if amount.is_none() {
        errors.add("amount", "must be a positive whole number");
    }
    if req
        .idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > 200)
    {
        errors.add("idempotencyKey", "must be 1–200 characters");
    }
    errors.finish()?;
    let (Some(account), Some(amount)) = (account, amount) else {
        return Err(AppError::BadRequest("invalid input".into()));
    };
    state.store.account(account).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("account"),
        other => other.into(),
    })?;
    let key = req.idempotency_key.map(|k| format!("admin_grant:{k}"));
    let applied = service::grant(&state.store, account, amount, key).await?;
    tracing::info!(%account, %amount, by = %admin.id, "credits granted");
    Ok(Json(match applied {
        Applied::New { balance } => GrantResponse {
            balance: Some(balance.get()),
            duplicate: false,
        },
        Applied::Duplicate => GrantResponse {
            balance: None,
            duplicate: true,
        },
    }))
}
