//! Access tokens: verified (HS256, `exp`/`nbf` with 60 s leeway, issuer = API key) and turned
//! into a [`JoinGrant`] before any state exists for the caller. A token that RemoveParticipant
//! revoked ([`crate::revocation`]) is refused here too.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use livekit_api::access_token::{Claims, TokenVerifier};
use livekit_protocol as proto;

use crate::ids::{Identity, RoomName};
use crate::revocation::Revocations;

/// Why a token was refused. Every variant is an HTTP 401 at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither `Authorization: Bearer` nor `access_token` was given.
    #[error("missing access token")]
    Missing,
    /// Bad signature, wrong issuer, expired, not yet valid, or not a JWT.
    #[error("invalid access token: {0}")]
    Invalid(String),
    /// The token does not grant `roomJoin`.
    #[error("token does not grant roomJoin")]
    NoRoomJoin,
    /// The token names no room, or an unusable one.
    #[error("token names no room")]
    NoRoom,
    /// The token has no identity (`sub`).
    #[error("token has no identity")]
    NoIdentity,
    /// RoomService removed this identity from this room and revoked tokens minted before then.
    #[error("access token has been revoked")]
    Revoked,
}

/// What a participant may do, from its token's video grant (LiveKit's defaults applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// May subscribe to others' tracks.
    pub can_subscribe: bool,
    /// May publish media at all.
    pub can_publish: bool,
    /// May send data packets.
    pub can_publish_data: bool,
    /// When non-empty, only these sources may be published.
    pub can_publish_sources: Vec<proto::TrackSource>,
    /// Not announced to other participants.
    pub hidden: bool,
    /// May change its own name/metadata/attributes.
    pub can_update_metadata: bool,
}

impl Permission {
    /// Whether a track from `source` may be published.
    pub fn allows_source(&self, source: proto::TrackSource) -> bool {
        self.can_publish
            && (self.can_publish_sources.is_empty() || self.can_publish_sources.contains(&source))
    }

    /// The protobuf shape sent to clients.
    pub fn to_proto(&self) -> proto::ParticipantPermission {
        proto::ParticipantPermission {
            can_subscribe: self.can_subscribe,
            can_publish: self.can_publish,
            can_publish_data: self.can_publish_data,
            can_publish_sources: self.can_publish_sources.iter().map(|s| *s as i32).collect(),
            hidden: self.hidden,
            can_update_metadata: self.can_update_metadata,
            ..Default::default()
        }
    }
}

/// A verified right to join one room as one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGrant {
    /// The participant's identity.
    pub identity: Identity,
    /// Display name.
    pub name: String,
    /// The room the token is for.
    pub room: RoomName,
    /// Opaque metadata from the token.
    pub metadata: String,
    /// Attributes from the token.
    pub attributes: std::collections::HashMap<String, String>,
    /// What the participant may do.
    pub permission: Permission,
}

/// Checks tokens against one API key and secret.
#[derive(Debug, Clone)]
pub struct Authenticator {
    verifier: TokenVerifier,
    revocations: Arc<Revocations>,
}

impl Authenticator {
    /// Verifier for tokens issued by `api_key` and signed with `api_secret`.
    pub fn new(api_key: &str, api_secret: &str) -> Self {
        Self {
            verifier: TokenVerifier::with_api_key(api_key, api_secret),
            revocations: Arc::default(),
        }
    }

    /// Also refuses the tokens recorded in `revocations` (shared with RoomService).
    pub fn with_revocations(self, revocations: Arc<Revocations>) -> Self {
        Self {
            revocations,
            ..self
        }
    }

    /// Verifies a token and extracts the join grant.
    pub fn join_grant(&self, token: &str) -> Result<JoinGrant, AuthError> {
        self.verify(token).map(|(grant, _)| grant)
    }

    /// Verifies a token: the join grant, and the claims as signed (token refresh re-issues
    /// them with the session's current state).
    pub fn verify(&self, token: &str) -> Result<(JoinGrant, Claims), AuthError> {
        let claims = self
            .verifier
            .verify(token)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let nbf = claims.nbf as u64;
        let grant = grant_from_claims(claims.clone())?;
        if self
            .revocations
            .is_revoked(&grant.room, &grant.identity, nbf, unix_now())
        {
            return Err(AuthError::Revoked);
        }
        Ok((grant, claims))
    }
}

/// The wall clock in Unix seconds (token times are wall-clock seconds).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn parse_source(name: &str) -> Option<proto::TrackSource> {
    // Tokens spell sources in lower snake case ("camera", "screen_share_audio").
    proto::TrackSource::from_str_name(&name.to_ascii_uppercase())
}

fn grant_from_claims(claims: Claims) -> Result<JoinGrant, AuthError> {
    let video = claims.video;
    if !video.room_join {
        return Err(AuthError::NoRoomJoin);
    }
    let room: RoomName = video.room.parse().map_err(|_| AuthError::NoRoom)?;
    let identity: Identity = claims.sub.parse().map_err(|_| AuthError::NoIdentity)?;
    let permission = Permission {
        can_subscribe: video.can_subscribe(),
        can_publish: video.can_publish(),
        can_publish_data: video.can_publish_data(),
        // An unknown source name grants nothing rather than everything.
        can_publish_sources: video
            .can_publish_sources
            .iter()
            .map(|s| parse_source(s).unwrap_or(proto::TrackSource::Unknown))
            .collect(),
        hidden: video.hidden,
        can_update_metadata: video.can_update_own_metadata(),
    };
    Ok(JoinGrant {
        identity,
        name: claims.name,
        room,
        metadata: claims.metadata,
        attributes: claims.attributes,
        permission,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use livekit_api::access_token::{AccessToken, VideoGrants};

    use super::*;

    fn token(secret: &str, grants: VideoGrants) -> String {
        AccessToken::with_api_key("key", secret)
            .with_identity("alice")
            .with_grants(grants)
            .with_ttl(Duration::from_secs(60))
            .to_jwt()
            .unwrap()
    }

    fn join(room: &str) -> VideoGrants {
        VideoGrants {
            room_join: true,
            room: room.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_token_yields_its_grant_with_defaults() {
        let auth = authenticator();
        let g = auth.join_grant(&token("secret", join("studio"))).unwrap();
        assert_eq!(g.room.as_str(), "studio");
        assert_eq!(g.identity.as_str(), "alice");
        assert!(g.permission.can_publish && g.permission.can_subscribe);
        assert!(g.permission.can_publish_data);
    }

    fn authenticator() -> Authenticator {
        Authenticator::new("key", "secret")
    }

    #[test]
    fn forged_and_ungranted_tokens_are_refused() {
        let auth = authenticator();
        assert!(matches!(
            auth.join_grant(&token("other", join("studio"))),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            auth.join_grant("not-a-jwt"),
            Err(AuthError::Invalid(_))
        ));
        let no_join = VideoGrants {
            room: "studio".into(),
            ..Default::default()
        };
        assert_eq!(
            auth.join_grant(&token("secret", no_join)),
            Err(AuthError::NoRoomJoin)
        );
    }

    #[test]
    fn publish_sources_restrict_what_may_be_published() {
        let auth = authenticator();
        let grants = VideoGrants {
            can_publish_sources: vec!["microphone".into()],
            ..join("studio")
        };
        let g = auth.join_grant(&token("secret", grants)).unwrap();
        assert!(g.permission.allows_source(proto::TrackSource::Microphone));
        assert!(!g.permission.allows_source(proto::TrackSource::Camera));
    }

    #[test]
    fn a_revoked_identity_is_refused_in_that_room_only() {
        let revocations = Arc::new(Revocations::default());
        let auth = Authenticator::new("key", "secret").with_revocations(revocations.clone());
        let old = token("secret", join("studio"));
        let elsewhere = token("secret", join("other"));
        let now = unix_now();
        revocations.revoke(
            "studio".parse().unwrap(),
            "alice".parse().unwrap(),
            now + 1,
            now,
        );
        assert_eq!(auth.join_grant(&old), Err(AuthError::Revoked));
        assert!(auth.join_grant(&elsewhere).is_ok());
    }
}
