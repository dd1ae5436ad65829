//! View models shared by the pages: stream cards, status badges, people and times.
//! Everything a template shows is computed here, so templates only place values.

use chrono::{DateTime, SecondsFormat, Utc};
use onair_domain::StreamStatus;
use onair_store::Stream;

/// Number of thumbnail gradients in the stylesheet (`.tone-0` … `.tone-11`).
const TONES: u8 = 12;

/// A stream as a card (discovery, listings) or a stream page header.
#[derive(Debug)]
pub(crate) struct Card {
    pub id: String,
    pub href: String,
    pub title: String,
    pub initials: String,
    pub tone: u8,
    pub badge: Badge,
    pub is_live: bool,
    pub viewers: u32,
    pub peak_viewers: u32,
    pub creator: Person,
    pub when: Option<When>,
    pub cta: Cta,
}

/// A person's face: an avatar image when there is a usable one, initials on a tone otherwise.
#[derive(Debug)]
pub(crate) struct Person {
    pub name: String,
    pub initials: String,
    pub tone: u8,
    pub image: Option<String>,
}

/// `LIVE` / `SCHEDULED` / `ENDED`, as the badge shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Badge {
    pub class: &'static str,
    pub label: &'static str,
}

impl Badge {
    pub fn of(status: StreamStatus) -> Self {
        match status {
            StreamStatus::Live => Self {
                class: "live",
                label: "Live",
            },
            StreamStatus::Scheduled => Self {
                class: "scheduled",
                label: "Scheduled",
            },
            StreamStatus::Ended => Self {
                class: "ended",
                label: "Ended",
            },
        }
    }
}

/// A moment, shown as `<time datetime="…">` with a readable UTC fallback.
#[derive(Debug, Clone)]
pub(crate) struct When {
    /// "Started", "Starts", "Ended".
    pub label: &'static str,
    pub time: Time,
}

#[derive(Debug, Clone)]
pub(crate) struct Time {
    /// RFC 3339, for the `datetime` attribute (and the player bundle to localise).
    pub iso: String,
    /// "Wed 25 Nov 2026, 18:00 UTC".
    pub human: String,
    /// "in 3 hours", "12 minutes ago".
    pub relative: String,
}

impl Time {
    pub fn new(at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            iso: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            human: at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
            relative: relative(at, now),
        }
    }
}

/// The card's call to action.
#[derive(Debug)]
pub(crate) struct Cta {
    pub label: &'static str,
    pub href: String,
    /// Accessible name: the label alone is ambiguous in a grid of cards.
    pub aria: String,
    pub primary: bool,
    /// The link downloads a calendar file rather than opening a page.
    pub download: bool,
}

impl Card {
    pub fn new(stream: &Stream, now: DateTime<Utc>) -> Self {
        let id = stream.id.to_string();
        let href = format!("/watch/{id}");
        let when = match stream.status {
            StreamStatus::Live => stream.started_at.map(|t| ("Started", t)),
            StreamStatus::Scheduled => stream.scheduled_for.map(|t| ("Starts", t)),
            StreamStatus::Ended => stream.ended_at.map(|t| ("Ended", t)),
        }
        .map(|(label, at)| When {
            label,
            time: Time::new(at, now),
        });
        let cta = match stream.status {
            StreamStatus::Live => Cta {
                label: "Watch",
                href: href.clone(),
                aria: format!("Watch {}", stream.title),
                primary: true,
                download: false,
            },
            StreamStatus::Scheduled if stream.scheduled_for.is_some_and(|t| t > now) => Cta {
                label: "Remind me",
                href: format!("{href}/remind.ics"),
                aria: format!("Add {} to your calendar", stream.title),
                primary: false,
                download: true,
            },
            StreamStatus::Scheduled => Cta {
                label: "Details",
                href: href.clone(),
                aria: format!("Details of {}", stream.title),
                primary: false,
                download: false,
            },
            StreamStatus::Ended => Cta {
                label: "Replay info",
                href: href.clone(),
                aria: format!("Replay information for {}", stream.title),
                primary: false,
                download: false,
            },
        };
        Self {
            initials: initials(&stream.title),
            tone: tone(stream.id.as_uuid().as_bytes()),
            badge: Badge::of(stream.status),
            is_live: stream.status == StreamStatus::Live,
            viewers: stream.participant_count,
            peak_viewers: stream.peak_viewers,
            creator: Person {
                name: stream.creator.name.clone(),
                initials: initials(&stream.creator.name),
                tone: tone(stream.creator.id.as_uuid().as_bytes()),
                image: safe_image(stream.creator.image.as_deref()),
            },
            title: stream.title.clone(),
            when,
            cta,
            href,
            id,
        }
    }

    /// "1,284": the live viewer count as shown.
    pub fn viewers_text(&self) -> String {
        grouped(u64::from(self.viewers))
    }

    pub fn peak_text(&self) -> String {
        grouped(u64::from(self.peak_viewers))
    }

    /// "1,284 watching".
    pub fn viewers_label(&self) -> String {
        format!("{} watching", self.viewers_text())
    }
}

/// Short words that make poor initials ("Building a compiler" → "BC", not "BA").
const MINOR_WORDS: &[&str] = &[
    "a", "an", "and", "at", "for", "from", "in", "of", "on", "or", "the", "to", "with",
];

/// Up to two initials from the first letters of the first two significant words
/// ("Late night jazz" → "LN").
pub(crate) fn initials(text: &str) -> String {
    let significant = |w: &&str| !MINOR_WORDS.iter().any(|m| m.eq_ignore_ascii_case(w));
    let words: Vec<&str> = text.split_whitespace().collect();
    let chosen: Vec<&str> = if words.iter().any(significant) {
        words.iter().copied().filter(|w| significant(w)).collect()
    } else {
        words
    };
    let letters: String = chosen
        .iter()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "·".to_owned()
    } else {
        letters
    }
}

/// 1284 → "1,284".
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A stable gradient index from an id, so a stream keeps its colours everywhere.
pub(crate) fn tone(bytes: &[u8]) -> u8 {
    // FNV-1a over every byte: v7 ids share their leading timestamp bytes.
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    });
    u8::try_from(hash % u32::from(TONES)).unwrap_or(0)
}

/// An avatar URL the page may load: absolute http(s) only (no `javascript:`, no `data:`).
pub(crate) fn safe_image(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_owned())
}

/// "in 3 hours", "12 minutes ago", "just now".
pub(crate) fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let future = secs > 0;
    let abs = secs.unsigned_abs();
    if abs < 60 {
        return if future {
            "in under a minute".into()
        } else {
            "just now".into()
        };
    }
    // Rounded to the nearest unit ("in 1 h 57 min" reads as "in 2 hours").
    let round = |a: u64, unit: u64| (a + unit / 2) / unit;
    let (n, unit) = match abs {
        a if a < 3570 => (round(a, 60), "minute"),
        a if a < 84_600 => (round(a, 3600), "hour"),
        a if a < 86_400 * 45 => (round(a, 86_400), "day"),
        a if a < 86_400 * 545 => (round(a, 86_400 * 30), "month"),
        a => (round(a, 86_400 * 365), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if future {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("Late night jazz"), "LN");
        assert_eq!(initials("Building a compiler"), "BC");
        assert_eq!(initials("The Who"), "W");
        assert_eq!(initials("a an"), "AA");
        assert_eq!(initials("  ünïcode  "), "Ü");
        assert_eq!(initials("<script>alert(1)</script>"), "S");
        assert_eq!(initials("!!!"), "·");
        assert_eq!(initials(""), "·");
    }

    #[test]
    fn tones_are_stable_and_in_range() {
        let a = tone(b"0192f0aa-0000-7000-8000-000000000001");
        assert_eq!(a, tone(b"0192f0aa-0000-7000-8000-000000000001"));
        assert!((0..TONES).contains(&a));
        let distinct: std::collections::HashSet<u8> =
            (0u8..64).map(|i| tone(&[1, 2, 3, i])).collect();
        assert!(
            distinct.len() > 6,
            "ids spread over the palette: {distinct:?}"
        );
    }

    #[test]
    fn only_http_images_are_used() {
        assert_eq!(
            safe_image(Some("https://x.test/a.png")).as_deref(),
            Some("https://x.test/a.png")
        );
        assert_eq!(safe_image(Some("javascript:alert(1)")), None);
        assert_eq!(safe_image(Some("data:image/png;base64,xx")), None);
        assert_eq!(safe_image(Some("https://x.test/a b.png")), None);
        assert_eq!(safe_image(None), None);
    }

    #[test]
    fn times_read_well() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 18, 20, 0).unwrap();
        let t = Time::new(at, now);
        assert_eq!(t.iso, "2026-11-25T18:20:00Z");
        assert_eq!(t.human, "Wed 25 Nov 2026, 18:20 UTC");
        assert_eq!(t.relative, "in 6 hours");
        assert_eq!(
            relative(now - chrono::Duration::minutes(1), now),
            "1 minute ago"
        );
        assert_eq!(
            relative(now - chrono::Duration::seconds(5), now),
            "just now"
        );
        assert_eq!(relative(now + chrono::Duration::days(3), now), "in 3 days");
        assert_eq!(
            relative(now + chrono::Duration::minutes(117), now),
            "in 2 hours"
        );
        assert_eq!(
            relative(now + chrono::Duration::minutes(59), now),
            "in 59 minutes"
        );
        assert_eq!(
            relative(now + chrono::Duration::minutes(61), now),
            "in 1 hour"
        );
        assert_eq!(
            relative(now + chrono::Duration::minutes(44), now),
            "in 44 minutes"
        );
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1284), "1,284");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }
}
