//! Numbered links between the pages of a listing (first, last, and the neighbours of the
//! current page; gaps elided).

/// Links between the pages of a listing.
#[derive(Debug)]
pub(crate) struct Pager {
    /// Accessible name of the `<nav>` ("Live streams pages").
    pub label: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub items: Vec<PagerItem>,
}

#[derive(Debug)]
pub(crate) enum PagerItem {
    Link {
        number: u64,
        href: String,
        current: bool,
    },
    Gap,
}

impl Pager {
    /// `None` when everything fits on one page. `href(n)` builds the URL of page `n`.
    pub fn new(label: String, page: u64, pages: u64, href: impl Fn(u64) -> String) -> Option<Self> {
        if pages <= 1 {
            return None;
        }
        let mut items = Vec::new();
        let mut last = 0;
        for n in 1..=pages {
            let shown = n == 1 || n == pages || n.abs_diff(page) <= 1;
            if !shown {
                continue;
            }
            if n > last + 1 {
                items.push(PagerItem::Gap);
            }
            items.push(PagerItem::Link {
                number: n,
                href: href(n),
                current: n == page,
            });
            last = n;
        }
        Some(Self {
            label,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagers_elide_far_pages() {
        let p = Pager::new("x".into(), 5, 10, |n| format!("?page={n}")).unwrap();
        let shown: Vec<String> = p
            .items
            .iter()
            .map(|i| match i {
                PagerItem::Link {
                    number,
                    current: true,
                    ..
                } => format!("[{number}]"),
                PagerItem::Link { number, .. } => number.to_string(),
                PagerItem::Gap => "…".into(),
            })
            .collect();
        assert_eq!(shown, ["1", "…", "4", "[5]", "6", "…", "10"]);
        assert_eq!(p.prev.as_deref(), Some("?page=4"));
        assert_eq!(p.next.as_deref(), Some("?page=6"));
        assert!(Pager::new("x".into(), 1, 1, |n| n.to_string()).is_none());
        let first = Pager::new("x".into(), 1, 2, |n| n.to_string()).unwrap();
        assert!(first.prev.is_none());
    }
}
