//! OnAir's embedded media server: a LiveKit-compatible SFU on [`str0m`] 0.25.
//!
//! LiveKit's own clients (the browser `livekit-client` 2.x, the Python and Rust SDKs) connect to
//! it unchanged: they speak LiveKit's signalling protocol on `/rtc` and WebRTC media to one UDP
//! port (or ICE-TCP), and the server forwards each publisher's RTP packets to every subscriber.
//!
//! # Shape
//!
//! - [`room`] — the sans-IO **room core**: rooms, participants, published tracks, subscriptions,
//!   participant-info versions, grants, room timeouts. Inputs are method calls with `now`;
//!   everything it wants done comes out of [`room::RoomCore::poll_output`] as a
//!   [`room::RoomOutput`] (a signal message, a subscribe/unsubscribe, a disconnect, a lifecycle
//!   [`room::RoomEvent`] for webhooks). No sockets, no clock.
//! - [`media`] — the sans-IO **media engine**: the room core plus every participant's two str0m
//!   `Rtc`s (publisher PC: the client offers; subscriber PC: the server offers), ICE demux,
//!   SDP negotiation, RTP forwarding (through `onair-forward`) and data-packet relay. Datagrams,
//!   signal requests and timeouts in; transmits, signal messages and events out.
//! - `shell` — the async shell: [`MediaServer`] owns the UDP socket, the ICE-TCP listener, the
//!   axum router with the WebSocket sessions, and one run loop that owns the engine. Tasks talk
//!   to the loop through bounded channels (each says at creation what happens when full). No
//!   locks on the packet path.
//!
//! # From WebSocket frame to forwarded packet
//!
//! ```text
//! GET /rtc (Bearer or access_token) ── TokenVerifier (HS256, exp/nbf, 60 s leeway) ── 401 on failure
//!   └─ upgrade → session task ──Command::Join──▶ run loop → Engine::join → RoomCore::join
//!        JoinResponse, then a subscriber offer (data channels) ◀── outputs ── per-session queue
//! SignalRequest::Offer ─▶ Engine: offer text restricted by grants → str0m accept_offer → Answer;
//!        sending m-lines bound to AddTrack'ed tracks → RoomCore::bind_track → Subscribe outputs
//!        → sendonly m-line (msid PA_pub|TR_track) queued on each subscriber PC → Offer (one at a time)
//! UDP datagram ─▶ demux (source address, else STUN ufrag) ─▶ publisher Rtc ─▶ Event::RtpPacket
//!        → SSRC → (track, layer) → per subscriber: onair_forward::Forwarder (layer choice at
//!        keyframes, seq/timestamp/VP8 picture-id rewrite) → subscriber Rtc write_rtp → UDP
//! Data channel message (_reliable/_lossy) ─▶ DataPacket stamped with sender identity/sid
//!        → receivers' subscriber-PC channels (room, or destination_identities)
//! ```
//!
//! # LiveKit features
//!
//! Supported: `/rtc` (dual peer connection), `/rtc/validate`, the `/rtc/v1` 404 fallbacks that
//! send clients to `/rtc`; JoinResponse as the SDKs require; trickle ICE both ways; ICE-lite on
//! one UDP port and ICE-TCP (RFC 4571); AddTrack → TrackPublished; unpublish by renegotiation;
//! mute; participant updates with complete track lists and increasing versions; auto-subscribe
//! and UpdateSubscription; UpdateTrackSettings (quality, size, disable) driving the simulcast
//! layer; VP8 and H.264 video with `q`/`h`/`f` simulcast, Opus audio; keyframe requests
//! coalesced and throttled; NACK/RTX toward subscribers (str0m); data packets on `_reliable` and
//! `_lossy` to the room or to identities; grants (`roomJoin`, `canPublish`,
//! `canPublishSources`, `canPublishData`, `canSubscribe`, `hidden`); rooms created on first join
//! with empty/departure timeouts and max participants; duplicate identity replaces the old
//! session; ping/pong and a 15 s signal timeout; a 20 s media timeout for vanished clients;
//! leave both ways and on server shutdown. [`ServerHandle`] gives the admin API (list rooms and
//! participants, remove participant, mute track, send data) and the room event stream;
//! RemoveParticipant's `revoke_token_ts` refuses the removed identity's older tokens
//! ([`revocation`]);
//! [`control`] serves it as LiveKit's RoomService (`/twirp/livekit.RoomService/*`, merged into
//! [`MediaServer::router`]) and turns the events into signed webhooks to
//! [`SfuConfig::webhook_urls`].
//!
//! Not yet: single-PC `/rtc/v1`; resume (`reconnect=1` is told to rejoin); token refresh;
//! speaker detection and connection quality; bandwidth estimation driving the layer; RED
//! unwrapping for subscribers without RED; dynacast; metadata updates from clients; TURN.

pub mod auth;
pub mod config;
pub mod control;
pub mod ids;
pub mod media;
pub mod revocation;
pub mod room;
mod shell;

pub use config::{RoomDefaults, SfuConfig};
pub use shell::{MediaServer, ServerHandle, SfuError};
