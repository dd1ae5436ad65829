//! `onair print-config`: the effective configuration as TOML, secrets redacted (also passwords
//! and query values in the database and webhook URLs). Shows the
//! LiveKit API key in use (never the secret).

use anyhow::Context;
use onair_control::{redact_url, redacted};

use crate::livekit::{self, KeySource};
use crate::settings::Settings;

pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let mut effective = settings.clone();
    effective.database_url = Some(redact_url(&settings.database_url()));
    effective.media.webhook_urls = settings.media.webhook_urls.iter().map(redacted).collect();
    let text = toml::to_string_pretty(&effective).context("encoding the configuration")?;
    println!("{text}");
    println!(
        "# mode: {}",
        if settings.embedded() {
            "embedded media server"
        } else {
            "external LiveKit"
        }
    );
    if settings.embedded() {
        println!("# media advertise ip: {}", settings.advertise_ip());
    }
    match livekit::credentials(settings, false)? {
        Some(c) => {
            let from = match c.source {
                KeySource::Environment => "environment".to_owned(),
                KeySource::DataDir | KeySource::Generated => {
                    livekit::key_file(&settings.data_dir).display().to_string()
                }
            };
            println!(
                "# livekit api key: {} (from {from}; secret not shown)",
                c.api_key
            );
        }
        None => println!("# livekit api key: generated on first `onair serve`"),
    }
    Ok(())
}
