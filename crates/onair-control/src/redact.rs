//! URLs as logs and `onair print-config` show them: a webhook or database URL may carry
//! credentials (`https://user:password@host/…`, `?token=…`), and neither belongs in a log line.

use url::Url;

/// `raw` with the password and every query value replaced by `redacted`. Text that does not
/// parse (a password with an unencoded `/` or `#`) loses everything between `://` and its last
/// `@`, and its query.
pub fn redact_url(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw) {
        return redacted(&url).to_string();
    }
    let mut shown = raw.to_owned();
    if let Some(query) = shown.find('?') {
        shown.truncate(query);
        shown.push_str("?redacted");
    }
    if let (Some(start), Some(at)) = (shown.find("://"), shown.rfind('@'))
        && at > start
    {
        shown.replace_range(start + 3..at, "redacted");
    }
    shown
}

/// `url` with the password and every query value replaced by `redacted`.
pub fn redacted(url: &Url) -> Url {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only URLs that cannot have a password (`data:`, `mailto:`) refuse one.
        let _ = shown.set_password(Some("redacted"));
    }
    if shown.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        shown
            .query_pairs_mut()
            .clear()
            .extend_pairs(keys.iter().map(|k| (k.as_str(), "redacted")));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_query_values_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_url("postgres://onair:s3cret@db.internal:5432/onair"),
            "postgres://onair:redacted@db.internal:5432/onair"
        );
        assert_eq!(
            redact_url("https://hooks.example.com/lk/T0K3N?token=abc&team=7"),
            "https://hooks.example.com/lk/T0K3N?token=redacted&team=redacted"
        );
        assert_eq!(
            redact_url("https://hooks.example.com/lk"),
            "https://hooks.example.com/lk"
        );
        assert_eq!(
            redact_url("sqlite://data/onair.db"),
            "sqlite://data/onair.db"
        );
        assert_eq!(redact_url("not a url"), "not a url");
        // Unparsable: a password with an unencoded '/' and '#'.
        assert_eq!(
            redact_url("postgres://onair:pa/ss#word@db:5432/onair"),
            "postgres://redacted@db:5432/onair"
        );
        assert_eq!(
            redact_url("https://hooks example.com/x?token=abc"),
            "https://hooks example.com/x?redacted"
        );
    }
}
