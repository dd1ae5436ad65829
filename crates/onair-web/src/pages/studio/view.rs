//! What `/studio` shows: my streams with their actions, the create form (with a failed
//! submit's values and messages), and the credit ledger.

use askama::Template;
use chrono::{DateTime, Utc};
use onair_domain::{LedgerReason, StreamStatus};
use onair_store::{Account, CreditEntry, Page, Store, StreamFilter};

use crate::error::AppError;
use crate::pages::account::{Errors, Problem};
use crate::pages::card::{Card, Time};
use crate::pages::pager::Pager;
use crate::pages::{Chrome, Ctx};
use crate::state::AppState;

const STREAMS_PER_PAGE: u32 = 10;
const ENTRIES_PER_PAGE: u32 = 10;

/// The create form's values and messages, kept across a failed submit.
#[derive(Debug, Default)]
pub(super) struct Draft {
    pub title: String,
    pub description: String,
    pub scheduled_for: String,
    pub errors: Errors,
}

impl Draft {
    fn summary(&self) -> Vec<Problem> {
        self.errors.summary(&[
            ("title", "Title"),
            ("description", "Description"),
            ("scheduledFor", "Starts at"),
        ])
    }
}

/// One of my streams with what I may do to it.
#[derive(Debug)]
struct Row {
    card: Card,
    /// "End stream" (LIVE) or "Cancel stream" (SCHEDULED); ENDED streams can only be deleted.
    end_label: Option<&'static str>,
    created: Time,
}

#[derive(Debug)]
struct Entry {
    time: Time,
    reason: &'static str,
    stream_href: Option<String>,
    delta: String,
    positive: bool,
    balance_after: i64,
}

impl Entry {
    fn new(e: &CreditEntry, now: DateTime<Utc>) -> Self {
        let delta = e.delta.get();
        Self {
            time: Time::new(e.created_at, now),
            reason: match e.reason {
                LedgerReason::SignupGrant => "Welcome credits",
                LedgerReason::AdminGrant => "Granted by an admin",
                LedgerReason::GoLive => "Went live",
                LedgerReason::LiveMinute => "Live minute",
            },
            stream_href: e.stream.map(|id| format!("/watch/{id}")),
            // U+2212 MINUS SIGN reads better than a hyphen next to digits.
            delta: if delta >= 0 {
                format!("+{delta}")
            } else {
                format!("\u{2212}{}", delta.unsigned_abs())
            },
            positive: delta >= 0,
            balance_after: e.balance_after.get(),
        }
    }
}

#[derive(Template)]
#[template(path = "studio.html")]
pub(super) struct StudioPage {
    chrome: Chrome,
    csrf: String,
    notice: Option<&'static str>,
    balance: i64,
    go_live_cost: i64,
    rows: Vec<Row>,
    streams_total: u64,
    streams_pager: Option<Pager>,
    entries: Vec<Entry>,
    entries_pager: Option<Pager>,
    draft: Draft,
    /// Earliest value the schedule picker offers (now, in UTC, to the minute).
    min_schedule: String,
}

/// Which pages of the two listings are shown.
#[derive(Debug, Clone, Copy)]
pub(super) struct Studio {
    pub page: u32,
    pub ledger: u32,
}

impl Studio {
    fn href(self, page: u32, ledger: u32) -> String {
        match (page, ledger) {
            (1, 1) => "/studio".to_owned(),
            (p, 1) => format!("/studio?page={p}#streams"),
            (p, l) => format!("/studio?page={p}&ledger={l}#credits"),
        }
    }

    pub async fn render<S: Store>(
        self,
        state: &AppState<S>,
        ctx: &Ctx,
        chrome: Chrome,
        account: &Account,
        notice: Option<&'static str>,
        draft: Draft,
    ) -> Result<StudioPage, AppError> {
        let now = Utc::now();
        let filter = StreamFilter {
            status: None,
            creator: Some(account.id),
            query: None,
            page: Page {
                page: self.page,
                limit: STREAMS_PER_PAGE,
            },
        };
        let (streams, streams_total) = state.store.list_streams(&filter).await?;
        let (entries, entries_total) = state
            .store
            .credit_entries(
                account.id,
                Page {
                    page: self.ledger,
                    limit: ENTRIES_PER_PAGE,
                },
            )
            .await?;
        let rows = streams
            .iter()
            .map(|s| Row {
                card: Card::new(s, now),
                end_label: match s.status {
                    StreamStatus::Live => Some("End stream"),
                    StreamStatus::Scheduled => Some("Cancel stream"),
                    StreamStatus::Ended => None,
                },
                created: Time::new(s.created_at, now),
            })
            .collect();
        let streams_pager = Pager::new(
            "My streams pages".into(),
            u64::from(self.page),
            streams_total.div_ceil(u64::from(STREAMS_PER_PAGE)),
            |n| self.href(u32::try_from(n).unwrap_or(1), self.ledger),
        );
        let entries_pager = Pager::new(
            "Credit history pages".into(),
            u64::from(self.ledger),
            entries_total.div_ceil(u64::from(ENTRIES_PER_PAGE)),
            |n| {
                let n = u32::try_from(n).unwrap_or(1);
                format!("/studio?page={}&ledger={n}#credits", self.page)
            },
        );
        let (csrf, _) = ctx.form_token(state.config.is_https());
        Ok(StudioPage {
            chrome,
            csrf,
            notice,
            balance: account.balance.get(),
            go_live_cost: state.config.go_live_cost.get(),
            rows,
            streams_total,
            streams_pager,
            entries: entries.iter().map(|e| Entry::new(e, now)).collect(),
            entries_pager,
            draft,
            min_schedule: now.format("%Y-%m-%dT%H:%M").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn studio_links_keep_the_other_listing_page() {
        let s = Studio { page: 2, ledger: 3 };
        assert_eq!(s.href(1, 1), "/studio");
        assert_eq!(s.href(2, 1), "/studio?page=2#streams");
        assert_eq!(s.href(2, 3), "/studio?page=2&ledger=3#credits");
    }
}
