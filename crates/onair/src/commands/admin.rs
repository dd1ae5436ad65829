//! `onair migrate`, `onair user create`, `onair credits grant`: operator commands on the store.

use std::io::BufRead;

use anyhow::{Context, bail};
use chrono::Utc;
use onair_domain::{AccountId, Credits, DisplayName, Email, Password, Role};
use onair_store::{AnyStore, Applied, NewAccount, Store, StoreError};

use crate::cli::{CreateUser, GrantCredits};
use crate::settings::Settings;
use onair_control::redact_url;

async fn open(settings: &Settings) -> anyhow::Result<AnyStore> {
    let url = settings.database_url();
    onair_store::connect(&url)
        .await
        .with_context(|| format!("opening the database ({})", redact_url(&url)))
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = open(settings).await?;
    println!(
        "database ready ({}): {}",
        store.backend_name(),
        redact_url(&settings.database_url())
    );
    store.close().await;
    Ok(())
}

pub async fn create_user(settings: &Settings, args: CreateUser) -> anyhow::Result<()> {
    let password = match args.password {
        Some(p) => p,
        None => match std::env::var("ONAIR_USER_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
        },
    };
    let email = Email::parse(&args.email)?;
    let name = DisplayName::parse(&args.name)?;
    let password = Password::parse(&password)?;
    let password_hash =
        onair_web::auth::password::hash_password(password.expose().to_owned()).await?;
    let store = open(settings).await?;
    let role = if args.admin { Role::Admin } else { Role::User };
    let result = store
        .create_account(NewAccount {
            id: AccountId::new(),
            email,
            name,
            password_hash,
            role,
            signup_grant: Credits::new(settings.credits.signup_grant),
            now: Utc::now(),
        })
        .await;
    store.close().await;
    match result {
        Ok(account) => {
            println!(
                "created {} {} ({}) id {}",
                role.as_str(),
                account.email,
                account.name,
                account.id
            );
            Ok(())
        }
        Err(StoreError::Conflict(_)) => {
            bail!("an account with email {} already exists", args.email)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn grant_credits(settings: &Settings, args: GrantCredits) -> anyhow::Result<()> {
    let amount = Credits::positive(args.amount)?;
    let email = Email::parse(&args.email)?;
    let store = open(settings).await?;
    let result = async {
        let (account, _) = match store.account_by_email(email.as_str()).await {
            Err(StoreError::NotFound) => bail!("no account with email {email}"),
            other => other?,
        };
        let applied = onair_web::credits::service::grant(&store, account.id, amount, None).await?;
        let reason = args.reason.as_deref().unwrap_or("(none)");
        tracing::info!(account = %account.id, %amount, reason, "credits granted");
        match applied {
            Applied::New { balance } => println!("granted {amount} to {email}: balance {balance}"),
            Applied::Duplicate => println!("already granted"),
        }
        Ok(())
    }
    .await;
    store.close().await;
    result
}
