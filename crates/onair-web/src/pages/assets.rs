//! Static assets embedded in the binary and served from `/assets/<name>.<hash>.<ext>`.
//!
//! The URL carries a hash of the content, so a response can be cached for a year
//! (`immutable`): a new build with a changed file gets a new URL. The hash doubles as the ETag
//! for clients that revalidate anyway. Nothing is fetched from other origins.
//!
//! `app.js` is the browser bundle (the player and the studio), built from `frontend/` by
//! `frontend/build` and committed, so the binary needs no Node.js; its `sourceMappingURL` names
//! `app.js.map` by the same content-addressed URL this module gives it. Responses are gzipped
//! for clients that accept it (the bundle shrinks about fourfold).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// The name templates ask for (`onair.css`).
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: &[Asset] = &[
    Asset {
        name: "onair.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/onair.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "app.js.map",
        content_type: "application/json",
        body: include_bytes!("../../assets/app.js.map"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../assets/icon.svg"),
    },
];

/// An asset with its content-addressed URL.
struct Hashed {
    asset: &'static Asset,
    /// `/assets/onair.1a2b3c4d5e6f.css`
    url: String,
    etag: HeaderValue,
}

static HASHED: LazyLock<Vec<Hashed>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let url = match asset.name.rsplit_once('.') {
                Some((stem, ext)) => format!("/assets/{stem}.{hash}.{ext}"),
                None => format!("/assets/{}.{hash}", asset.name),
            };
            let etag = HeaderValue::from_str(&format!("\"{hash}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
            Hashed { asset, url, etag }
        })
        .collect()
});

/// The URL of the embedded asset `name`, or `/assets/<name>` (a 404) for an unknown name.
pub fn url(name: &str) -> &'static str {
    HASHED
        .iter()
        .find(|h| h.asset.name == name)
        .map_or("/assets/missing", |h| h.url.as_str())
}

/// `GET /assets/{file}`: only current, content-addressed names are served.
pub(crate) async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let path = format!("/assets/{file}");
    let Some(hashed) = HASHED.iter().find(|h| h.url == path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such asset\n",
        )
            .into_response();
    };
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    let revalidating = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == hashed.etag.as_bytes());
    if revalidating {
        return (
            StatusCode::NOT_MODIFIED,
            [cache, (header::ETAG, hashed.etag.clone())],
        )
            .into_response();
    }
    (
        [
            cache,
            (header::ETAG, hashed.etag.clone()),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(hashed.asset.content_type),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        hashed.asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_content_addressed() {
        let css = url("onair.css");
        assert!(
            css.starts_with("/assets/onair.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/assets/onair..css".len() + 12);
        assert_eq!(url("nope.js"), "/assets/missing");
    }

    /// `frontend/build.mjs` computes the map's URL the way this module does; a mismatch would
    /// leave browsers' developer tools without sources.
    #[test]
    fn the_bundle_names_its_source_map_by_its_served_url() {
        let js = std::str::from_utf8(include_bytes!("../../assets/app.js")).unwrap();
        let map = url("app.js.map");
        let name = map.rsplit('/').next().unwrap();
        assert!(
            js.trim_end()
                .ends_with(&format!("//# sourceMappingURL={name}")),
            "app.js should end with a sourceMappingURL of {name}"
        );
        assert!(url("app.js").starts_with("/assets/app.") && url("app.js").ends_with(".js"));
    }
}
