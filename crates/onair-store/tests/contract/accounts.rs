//! Accounts, the signup grant and sessions.

use onair_domain::{AccountId, Credits, LedgerReason, Role};
use onair_store::{AnyStore, Page, Store, StoreError};

use crate::support::{account, at, new_account, stored, t0};

contract_tests!(
    account_create_and_lookup,
    duplicate_email_is_a_conflict_and_changes_nothing,
    signup_grant_writes_one_ledger_entry,
    zero_signup_grant_writes_nothing,
    negative_signup_grant_is_refused,
    set_role_changes_role,
    sessions_expire,
);

const PAGE: Page = Page { page: 1, limit: 50 };

async fn account_create_and_lookup(s: AnyStore) {
    let new = new_account("  Ada@Example.COM ", 100);
    let hash = new.password_hash.clone();
    let created = s.create_account(new.clone()).await.unwrap();
    assert_eq!(created.id, new.id);
    assert_eq!(created.email, "ada@example.com");
    assert_eq!(created.name, "Ada Lovelace");
    assert_eq!(created.image, None);
    assert_eq!(created.bio, "");
    assert_eq!(created.role, Role::User);
    assert_eq!(created.balance, Credits::new(100));
    assert_eq!(created.created_at, stored(t0()));

    assert_eq!(s.account(created.id).await.unwrap(), created);
    let (by_email, got_hash) = s.account_by_email(" ADA@example.com").await.unwrap();
    assert_eq!(by_email, created);
    assert_eq!(got_hash, hash);

    assert!(matches!(
        s.account_by_email("nobody@example.com").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.account(AccountId::new()).await,
        Err(StoreError::NotFound)
    ));
}

async fn duplicate_email_is_a_conflict_and_changes_nothing(s: AnyStore) {
    let first = account(&s, "ada@example.com", 100).await;
    let twin = new_account("ADA@EXAMPLE.COM", 100);
    let err = s.create_account(twin.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
    // Nothing of the refused account was written: no row, no grant.
    assert!(matches!(
        s.account(twin.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.credit_entries(twin.id, PAGE).await.unwrap().1, 0);
    assert_eq!(
        s.account_by_email("ada@example.com").await.unwrap().0,
        first
    );

    let mut same_id = new_account("other@example.com", 0);
    same_id.id = first.id;
    let err = s.create_account(same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("account id")), "{err:?}");
}

async fn signup_grant_writes_one_ledger_entry(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let (entries, total) = s.credit_entries(a.id, PAGE).await.unwrap();
    assert_eq!(total, 1);
    let e = &entries[0];
    assert_eq!(e.account, a.id);
    assert_eq!(e.delta, Credits::new(100));
    assert_eq!(e.balance_after, Credits::new(100));
    assert_eq!(e.reason, LedgerReason::SignupGrant);
    assert_eq!(e.stream, None);
    assert_eq!(e.idempotency_key, format!("signup_grant:{}", a.id));
    assert_eq!(e.created_at, stored(t0()));
}

async fn zero_signup_grant_writes_nothing(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    assert_eq!(a.balance, Credits::ZERO);
    assert_eq!(s.credit_entries(a.id, PAGE).await.unwrap(), (vec![], 0));
}

async fn negative_signup_grant_is_refused(s: AnyStore) {
    let new = new_account("ada@example.com", -5);
    let err = s.create_account(new.clone()).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Database(m) if m.contains("signup grant")),
        "{err:?}"
    );
    assert!(matches!(s.account(new.id).await, Err(StoreError::NotFound)));
}

async fn set_role_changes_role(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    s.set_role(a.id, Role::Admin).await.unwrap();
    assert_eq!(s.account(a.id).await.unwrap().role, Role::Admin);
    assert!(matches!(
        s.set_role(AccountId::new(), Role::Admin).await,
        Err(StoreError::NotFound)
    ));
}

async fn sessions_expire(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let live = [1u8; 32];
    let short = [2u8; 32];
    s.create_session(&live, a.id, at(3600), t0()).await.unwrap();
    s.create_session(&short, a.id, at(60), t0()).await.unwrap();

    assert_eq!(s.session_account(&short, at(59)).await.unwrap().id, a.id);
    // Expired at exactly `expires_at`.
    assert!(matches!(
        s.session_account(&short, at(60)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.session_account(&[3u8; 32], t0()).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(s.delete_expired_sessions(at(60)).await.unwrap(), 1);
    assert_eq!(s.delete_expired_sessions(at(60)).await.unwrap(), 0);
    assert_eq!(s.session_account(&live, at(60)).await.unwrap().id, a.id);

    s.delete_session(&live).await.unwrap();
    s.delete_session(&live).await.unwrap();
    assert!(matches!(
        s.session_account(&live, t0()).await,
        Err(StoreError::NotFound)
    ));

    // A session needs a real account; a reused hash is refused.
    assert!(matches!(
        s.create_session(&[4u8; 32], AccountId::new(), at(60), t0())
            .await,
        Err(StoreError::NotFound)
    ));
    s.create_session(&[5u8; 32], a.id, at(60), t0())
        .await
        .unwrap();
    assert!(matches!(
        s.create_session(&[5u8; 32], a.id, at(60), t0()).await,
        Err(StoreError::Conflict(_))
    ));
}
