//! Errors as logs show them.

/// An error with its causes, `outer: inner: …`: a wrapper's own message ("error sending
/// request") hides what an operator needs ("invalid peer certificate: UnknownIssuer",
/// "connection refused").
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
