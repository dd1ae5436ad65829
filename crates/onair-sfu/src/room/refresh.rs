//! Token refresh: every connected participant is sent a fresh access token (`refresh_token`) at
//! session start and then periodically, so a session that outlives its original token can still
//! resume or rejoin. The new token carries the participant's current identity, name, metadata,
//! attributes, room and permission (a RoomService UpdateParticipant shows up in it), keeps every
//! other grant of the original token, and is signed with the server's own key.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use base64::Engine as _;
use hmac::Mac as _;
use livekit_api::access_token::{Claims, VideoGrants};
use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::{Participant, RoomCore};
use crate::auth::Permission;
use crate::config::TokenRefresh;
use crate::ids::ParticipantSid;

/// The key pair refreshed tokens are signed with, and when they are issued.
#[derive(Clone)]
pub struct TokenSigner {
    api_key: String,
    api_secret: String,
    refresh: TokenRefresh,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("refresh", &self.refresh)
            .finish()
    }
}

impl TokenSigner {
    /// Signs with `api_secret` as `api_key` (the issuer clients' tokens are checked against).
    pub fn new(api_key: &str, api_secret: &str, refresh: TokenRefresh) -> Self {
        Self {
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            refresh,
        }
    }

    /// A signed token for `participant`, derived from the token it joined with (`original`),
    /// valid from `unix_s` for the refresh validity, and never shorter than the original.
    pub fn token_for(
        &self,
        original: &Claims,
        participant: &Participant,
        unix_s: u64,
    ) -> Option<String> {
        let mut claims = original.clone();
        claims.iss = self.api_key.clone();
        claims.sub = participant.identity.to_string();
        claims.name = participant.name.clone();
        claims.metadata = participant.metadata.clone();
        claims.attributes = participant.attributes.clone();
        claims.sha256 = String::new();
        claims.video.room_join = true;
        claims.video.room = participant.room.to_string();
        apply_permission(&mut claims.video, &participant.permission);
        claims.nbf = usize::try_from(unix_s).ok()?;
        let until = unix_s.saturating_add(self.refresh.validity.as_secs());
        claims.exp = usize::try_from(until).ok()?.max(original.exp);
        sign_hs256(&claims, &self.api_secret)
    }
}

/// Writes `permission` into a video grant, leaving a field as the original token spelt it when
/// its effective value did not change (so an untouched grant comes back identical).
fn apply_permission(video: &mut VideoGrants, permission: &Permission) {
    // In this order: `canPublishData` defaults to `canPublish`.
    if video.can_publish() != permission.can_publish {
        video.can_publish = Some(permission.can_publish);
    }
    if video.can_subscribe() != permission.can_subscribe {
        video.can_subscribe = Some(permission.can_subscribe);
    }
    if video.can_publish_data() != permission.can_publish_data {
        video.can_publish_data = Some(permission.can_publish_data);
    }
    if video.can_update_own_metadata() != permission.can_update_metadata {
        video.can_update_own_metadata = Some(permission.can_update_metadata);
    }
    video.hidden = permission.hidden;
    let current: Vec<proto::TrackSource> = video
        .can_publish_sources
        .iter()
        .map(|s| {
            proto::TrackSource::from_str_name(&s.to_ascii_uppercase())
                .unwrap_or(proto::TrackSource::Unknown)
        })
        .collect();
    if current != permission.can_publish_sources {
        video.can_publish_sources = permission
            .can_publish_sources
            .iter()
            .map(|s| s.as_str_name().to_ascii_lowercase())
            .collect();
    }
}

/// A compact JWS (HS256) over the claims, as LiveKit's SDKs sign tokens. `None` only if the
/// claims cannot be serialised.
fn sign_hs256(claims: &Claims, secret: &str) -> Option<String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(serde_json::to_vec(claims).ok()?);
    let signing_input = format!("{header}.{payload}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(signing_input.as_bytes());
    let signature = b64.encode(mac.finalize().into_bytes());
    Some(format!("{signing_input}.{signature}"))
}

/// A participant's original token and when it is next refreshed.
#[derive(Debug, Clone)]
pub(super) struct IssuedToken {
    claims: Claims,
    next_at: Instant,
}

/// Per-participant refresh state of the core.
#[derive(Debug, Default)]
pub(super) struct Refresher {
    signer: Option<TokenSigner>,
    tokens: HashMap<ParticipantSid, IssuedToken>,
}

impl Refresher {
    pub(super) fn forget(&mut self, sid: &ParticipantSid) {
        self.tokens.remove(sid);
    }

    pub(super) fn next_at(&self) -> Option<Instant> {
        self.signer.as_ref()?;
        self.tokens.values().map(|t| t.next_at).min()
    }
}

impl RoomCore {
    /// Turns token refresh on: from now on [`RoomCore::keep_token`] and the timer issue tokens.
    pub fn set_token_signer(&mut self, signer: TokenSigner) {
        self.refresher.signer = Some(signer);
    }

    /// Remembers the verified token a participant joined with and sends it a refreshed one at
    /// once (a client whose token is about to expire can still resume), then every interval.
    pub fn keep_token(&mut self, now: Instant, sid: &ParticipantSid, claims: Claims) {
        if !self.participants.contains_key(sid) {
            return;
        }
        self.refresher.tokens.insert(
            sid.clone(),
            IssuedToken {
                claims,
                next_at: now,
            },
        );
        self.refresh_token_now(now, sid);
    }

    /// Sends the participant a refreshed token now (after a resume, or when its permission
    /// changed) and restarts its interval. Nothing happens without a signer or a kept token.
    pub fn refresh_token_now(&mut self, now: Instant, sid: &ParticipantSid) {
        let unix_s = u64::try_from(self.unix_ms(now) / 1000).unwrap_or(0);
        let (Some(signer), Some(issued), Some(participant)) = (
            self.refresher.signer.as_ref(),
            self.refresher.tokens.get_mut(sid),
            self.participants.get(sid),
        ) else {
            return;
        };
        issued.next_at = now + signer.refresh.interval;
        match signer.token_for(&issued.claims, participant, unix_s) {
            Some(token) => self.signal(sid, Msg::RefreshToken(token)),
            None => tracing::warn!(participant = %sid, "refreshed token could not be signed"),
        }
    }

    /// Issues the refreshes that are due. A participant whose signal connection is down gets
    /// none (it gets one when it resumes).
    pub(super) fn refresh_due_tokens(&mut self, now: Instant) {
        let Some(interval) = self.refresher.signer.as_ref().map(|s| s.refresh.interval) else {
            return;
        };
        let due: Vec<ParticipantSid> = self
            .refresher
            .tokens
            .iter()
            .filter(|(_, t)| t.next_at <= now)
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in due {
            if self.is_detached(&sid) {
                if let Some(t) = self.refresher.tokens.get_mut(&sid) {
                    t.next_at = now + interval;
                }
            } else {
                self.refresh_token_now(now, &sid);
            }
        }
    }
}
