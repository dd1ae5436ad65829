//! `TestApp`: spawns the platform on port 0 and offers typed helpers.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use livekit_api::access_token::{Claims, TokenVerifier};
use livekit_protocol as proto;
use onair_store::AnyStore;
use onair_web::{AppState, LiveKitConfig, MediaMode, RateLimits, Secret, WebConfig};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub const API_KEY: &str = "APItestkey";
pub const API_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub state: AppState<AnyStore>,
    /// The embedded media server, when spawned with one (`/rtc` and RoomService on `addr`,
    /// webhooks to the platform).
    media: Option<onair_sfu::MediaServer>,
    cancel: CancellationToken,
    pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

/// A signed-in account with its own cookie jar.
pub struct User {
    pub client: Client,
    pub id: String,
    pub email: String,
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Backend::Sqlite, |_| {}).await
    }

    /// Spawns with `tweak` applied to the default test config (generous rate limits, a sweep
    /// interval long enough that tests drive sweeps themselves).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut WebConfig)) -> Self {
        Self::spawn_full(backend, false, tweak).await
    }

    /// Spawns with a real embedded media server on the same listener, as `onair serve` runs:
    /// RoomService calls and `/rtc` reach it, and its signed webhooks reach the platform.
    pub async fn spawn_with_media(backend: Backend) -> Self {
        Self::spawn_full(backend, true, |_| {}).await
    }

    /// [`Self::spawn_with_media`] with `tweak` applied to the config.
    pub async fn spawn_with_media_and(
        backend: Backend,
        tweak: impl FnOnce(&mut WebConfig),
    ) -> Self {
        Self::spawn_full(backend, true, tweak).await
    }

    async fn spawn_full(backend: Backend, media: bool, tweak: impl FnOnce(&mut WebConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (store, pg_schema) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("onair.db").display());
                (onair_store::connect(&url).await.unwrap(), None)
            }
            Backend::Postgres => {
                let url = std::env::var("TEST_DATABASE_URL").unwrap();
                let schema = format!("web_{}", uuid::Uuid::new_v4().simple());
                let pg = onair_store::PgStore::connect_with_schema(&url, &schema)
                    .await
                    .unwrap();
                (AnyStore::from(pg), Some(schema))
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = WebConfig::new(LiveKitConfig {
            mode: MediaMode::Embedded {
                room_service_url: format!("http://{addr}").parse().unwrap(),
            },
            api_key: API_KEY.into(),
            api_secret: Secret::new(API_SECRET),
        });
        config.rate_limits = RateLimits {
            auth_per_minute: 10_000,
            token_per_minute: 10_000,
            create_per_minute: 10_000,
            general_per_minute: 100_000,
        };
        config.sweep_interval = Duration::from_secs(3600);
        tweak(&mut config);
        let state = AppState::new(store, config);
        let mut router = onair_web::router(state.clone());
        let media = media.then(|| {
            let mut config = onair_sfu::SfuConfig::loopback(API_KEY, API_SECRET);
            config.webhook_urls = vec![format!("http://{addr}/api/livekit/webhook")];
            onair_sfu::MediaServer::start(config).unwrap()
        });
        if let Some(media) = &media {
            router = router.merge(media.router());
        }
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(onair_web::serve(listener, router, async move {
            stop.cancelled().await
        }));
        Self {
            base: format!("http://{addr}"),
            addr,
            state,
            media,
            cancel,
            pg_schema,
            _dir: dir,
        }
    }

    /// Stops the server and drops the PostgreSQL schema, if any.
    pub async fn finish(self) {
        if let Some(media) = self.media {
            media.shutdown().await;
        }
        self.cancel.cancel();
        if let Some(schema) = &self.pg_schema {
            let url = std::env::var("TEST_DATABASE_URL").unwrap();
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
            )))
            .execute(&pool)
            .await
            .unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn signup(&self) -> User {
        self.signup_as(
            &format!("u{}@example.com", uuid::Uuid::new_v4().simple()),
            "Test User",
        )
        .await
    }

    pub async fn signup_as(&self, email: &str, name: &str) -> User {
        let client = client();
        let res = client
            .post(self.url("/api/auth/signup"))
            .json(&json!({"email": email, "password": "correct horse", "name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "signup");
        let body: Value = res.json().await.unwrap();
        User {
            client,
            id: body["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
        }
    }

    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        client
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Creates a stream; returns its JSON.
    pub async fn create_stream(&self, user: &User, title: &str) -> Value {
        let res = user
            .client
            .post(self.url("/api/streams"))
            .json(&json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "create stream");
        res.json().await.unwrap()
    }

    pub async fn get_stream(&self, id: &str) -> Value {
        let res = client()
            .get(self.url(&format!("/api/streams/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn patch(&self, client: &Client, id: &str, body: Value) -> Response {
        client
            .patch(self.url(&format!("/api/streams/{id}")))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self, client: &Client, id: &str) -> Response {
        client
            .post(self.url(&format!("/api/streams/{id}/token")))
            .send()
            .await
            .unwrap()
    }

    pub async fn balance(&self, user: &User) -> i64 {
        let me: Value = user
            .client
            .get(self.url("/api/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        me["credits"].as_i64().unwrap()
    }

    pub async fn ledger(&self, user: &User) -> Value {
        user.client
            .get(self.url("/api/me/credits?limit=100"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Posts `event` signed with the app's key, as LiveKit does.
    pub async fn send_webhook(&self, event: &proto::WebhookEvent) -> Response {
        let body = serde_json::to_string(event).unwrap();
        self.send_webhook_raw(&body, &webhook_jwt(&body, API_KEY, API_SECRET, 300))
            .await
    }

    pub async fn send_webhook_raw(&self, body: &str, auth: &str) -> Response {
        client()
            .post(self.url("/api/livekit/webhook"))
            .header("Authorization", auth)
            .header("Content-Type", "application/webhook+json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
}

/// A webhook JWT as LiveKit's Go server writes it: HS256, `iss` = key, `sha256` = standard
/// padded base64 of SHA-256(body), `exp` = now + `ttl_secs` (negative: already expired).
pub fn webhook_jwt(body: &str, key: &str, secret: &str, ttl_secs: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({
        "iss": key,
        "sha256": STANDARD.encode(Sha256::digest(body.as_bytes())),
        "nbf": now.min(now + ttl_secs) - 1,
        "iat": now,
        "exp": now + ttl_secs,
    });
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let signing_input = format!("{header}.{claims}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// A webhook event about a participant in a stream's room.
pub fn participant_event(name: &str, room: &str, identity: &str, sid: &str) -> proto::WebhookEvent {
    proto::WebhookEvent {
        event: name.into(),
        room: Some(proto::Room {
            name: room.into(),
            sid: "RM_test".into(),
            ..Default::default()
        }),
        participant: Some(proto::ParticipantInfo {
            identity: identity.into(),
            sid: sid.into(),
            ..Default::default()
        }),
        id: format!("EV_{}", uuid::Uuid::new_v4().simple()),
        created_at: chrono::Utc::now().timestamp(),
        ..Default::default()
    }
}

pub fn room_event(name: &str, room: &str) -> proto::WebhookEvent {
    proto::WebhookEvent {
        participant: None,
        ..participant_event(name, room, "", "")
    }
}

pub fn track_published(room: &str, identity: &str) -> proto::WebhookEvent {
    proto::WebhookEvent {
        track: Some(proto::TrackInfo {
            sid: "TR_test".into(),
            r#type: proto::TrackType::Video as i32,
            source: proto::TrackSource::Camera as i32,
            ..Default::default()
        }),
        ..participant_event("track_published", room, identity, "PA_creator")
    }
}

/// Decodes a minted token with LiveKit's own verifier.
pub fn verify_token(token: &str) -> Claims {
    TokenVerifier::with_api_key(API_KEY, API_SECRET)
        .verify(token)
        .unwrap()
}

/// Asserts the JSON error shape and returns the body.
pub async fn expect_error(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for expected {code}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    body
}
