//! Deciding a participant's grants and signing the JWT with `livekit-api`'s `AccessToken`.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, AccessTokenError, VideoGrants};
use onair_domain::RoomName;

use crate::config::LiveKitConfig;

/// What a token lets its holder do in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    /// The stream's creator: publishes camera, microphone and screen share.
    Creator,
    /// Everyone else: subscribes only.
    Viewer,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creator => "creator",
            Self::Viewer => "viewer",
        }
    }
}

/// The sources a creator may publish (LiveKit's lower-case `TrackSource` names).
pub const CREATOR_SOURCES: [&str; 4] =
    ["camera", "microphone", "screen_share", "screen_share_audio"];

/// Everything that goes into one token.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub room: &'a RoomName,
    pub identity: &'a str,
    pub name: &'a str,
    pub role: TokenRole,
    /// Chat: data publishing is for signed-in participants only.
    pub signed_in: bool,
    pub ttl: Duration,
}

/// The grants for a role. Viewers get explicit `false`s rather than absent fields, because an
/// absent `canPublish` means *true* to LiveKit.
pub fn grants(req: &TokenRequest<'_>) -> VideoGrants {
    let mut g = VideoGrants {
        room_join: true,
        room: req.room.as_str().to_owned(),
        can_subscribe: Some(true),
        ..Default::default()
    };
    match req.role {
        TokenRole::Creator => {
            g.can_publish = Some(true);
            g.can_publish_data = Some(true);
            g.can_publish_sources = CREATOR_SOURCES.iter().map(|s| (*s).to_owned()).collect();
        }
        TokenRole::Viewer => {
            g.can_publish = Some(false);
            g.can_publish_data = Some(req.signed_in);
            g.can_update_own_metadata = Some(false);
        }
    }
    g
}

pub fn mint(config: &LiveKitConfig, req: &TokenRequest<'_>) -> Result<String, AccessTokenError> {
    AccessToken::with_api_key(&config.api_key, config.api_secret.expose())
        .with_identity(req.identity)
        .with_name(req.name)
        .with_ttl(req.ttl)
        .with_grants(grants(req))
        .to_jwt()
}

#[cfg(test)]
mod tests {
    use livekit_api::access_token::TokenVerifier;

    use super::*;
    use crate::config::{MediaMode, Secret};

    #[test]
    fn viewer_tokens_cannot_publish_and_creator_tokens_can() {
        let config = LiveKitConfig {
            mode: MediaMode::External {
                url: "ws://127.0.0.1:7880".parse().unwrap(),
            },
            api_key: "key".into(),
            api_secret: Secret::new("a-secret-long-enough-for-hs256-signing"),
        };
        let room = RoomName::from_raw("stream-x");
        let verifier = TokenVerifier::with_api_key("key", config.api_secret.expose());
        for (role, signed_in) in [
            (TokenRole::Creator, true),
            (TokenRole::Viewer, true),
            (TokenRole::Viewer, false),
        ] {
            let req = TokenRequest {
                room: &room,
                identity: "someone",
                name: "Someone",
                role,
                signed_in,
                ttl: Duration::from_secs(60),
            };
            let claims = verifier.verify(&mint(&config, &req).unwrap()).unwrap();
            let v = claims.video;
            assert!(v.room_join);
            assert_eq!(v.room, "stream-x");
            assert!(v.can_subscribe());
            assert_eq!(v.can_publish(), role == TokenRole::Creator);
            assert_eq!(
                v.can_publish_data(),
                role == TokenRole::Creator || signed_in
            );
            assert!(!v.can_update_own_metadata());
            assert_eq!(claims.sub, "someone");
        }
    }
}
