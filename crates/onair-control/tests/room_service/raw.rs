//! Raw HTTP requests as the Node SDK makes them, and checks of Twirp responses.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, VideoGrants};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::common::{KEY, MemoryRooms, SECRET, spawn};

pub fn token(grants: VideoGrants) -> String {
    AccessToken::with_api_key(KEY, SECRET)
        .with_grants(grants)
        .to_jwt()
        .unwrap()
}

pub fn create() -> String {
    token(VideoGrants {
        room_create: true,
        room_list: true,
        ..Default::default()
    })
}

pub fn admin(room: &str) -> String {
    token(VideoGrants {
        room_admin: true,
        room: room.into(),
        ..Default::default()
    })
}

pub struct Api {
    pub host: String,
    pub http: reqwest::Client,
    pub backend: MemoryRooms,
}

impl Api {
    pub async fn start() -> Self {
        let backend = MemoryRooms::default();
        let host = spawn(backend.clone()).await;
        Self {
            host,
            http: reqwest::Client::new(),
            backend,
        }
    }

    pub fn url(&self, method: &str) -> String {
        format!("{}/twirp/livekit.RoomService/{method}", self.host)
    }

    /// A request the way the Node SDK makes it.
    pub async fn node(&self, method: &str, token: &str, body: Value) -> Response {
        self.raw(
            method,
            token,
            "application/json;charset=UTF-8",
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn raw(
        &self,
        method: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let request = self
            .http
            .post(self.url(method))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(body);
        tokio::time::timeout(Duration::from_secs(10), request.send())
            .await
            .unwrap_or_else(|_| panic!("{method} got no answer within 10 s"))
            .unwrap()
    }
}

/// Status and JSON body of a Twirp error, after checking the exact content type.
pub async fn twirp_error(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "exactly, no charset"
    );
    (status, response.json().await.unwrap())
}

pub async fn ok_json(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}
