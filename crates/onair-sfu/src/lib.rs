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
//! Data channel message (_reliable/_lossy) ─▶ sender's budget (media::budget) ─▶ DataPacket
//!        stamped with sender identity/sid → receivers' subscriber-PC channels (room, or
//!        destination_identities)
//! ```
//!
//! # Bandwidth, speakers and faults
//!
//! - **Layer by bandwidth.** Each subscriber PC runs str0m's send-side BWE (GoogCC on TWCC
//!   feedback, starting from 1.5 Mbit/s). Its estimate, less audio (always forwarded), is split
//!   max-min fair over the video tracks it receives, each wanting the measured bitrate of the
//!   layer its UpdateTrackSettings allows (plus 15 % headroom); a forwarder goes down at once
//!   when its layer no longer fits and up after two seconds of fitting, at a keyframe. While a
//!   track is held down, the PC pads up to what the next layer needs and asks str0m for probes
//!   with backoff (3 s doubling to 12 s), so a recovered link is found within seconds. Publisher
//!   layer bitrates are measured per second as packets arrive.
//! - **Active speakers.** From the RFC 6464 audio level of each published audio track, smoothed
//!   over 400 ms windows with LiveKit's server defaults (−35 dBov threshold, 40 % of a window,
//!   two-window moving average); each room gets `SpeakersChanged` deltas at most every 400 ms,
//!   loudest first, with `active: false` for who stopped. Hidden participants and muted tracks
//!   are never speakers.
//! - **Connection quality.** Loss and round trip from each PC's RTCP (str0m peer stats every
//!   2 s); the worse PC is scored like a MOS and a change of level goes out as
//!   `ConnectionQualityUpdate` to the participant, and to its room when it publishes
//!   (`room::quality`).
//! - **Faults stay local.** Every call into a participant's str0m `Rtc` is wrapped in
//!   `catch_unwind`: a panic (a str0m bug hit by hostile input) disconnects that participant
//!   (`STATE_MISMATCH`) without touching its `Rtc` again; everyone else and the server go on.
//!   Reliable data for a participant whose `_reliable` channel is not open yet is held (256
//!   packets / 64 KiB) and delivered in order when it opens; lossy data is not held.
//! - **Loop cost.** Peer deadlines live in a timer heap (lazy deletion, rebuilt when stale
//!   entries pile up), so a wake-up touches only the peers that are due; the pass over tracks
//!   runs every 50 ms and the media-timeout pass every second, not on every wake-up.
//!
//! # LiveKit features
//!
//! Supported: `/rtc` (dual peer connection), `/rtc/validate`, the `/rtc/v1` 404 fallbacks that
//! send clients to `/rtc`; JoinResponse as the SDKs require; trickle ICE both ways; ICE-lite on
//! one UDP port and ICE-TCP (RFC 4571); AddTrack → TrackPublished; unpublish by renegotiation;
//! mute; participant updates with complete track lists and increasing versions; auto-subscribe
//! and UpdateSubscription; UpdateTrackSettings (quality, size, disable) and each subscriber's
//! bandwidth estimate driving the simulcast layer; VP8 and H.264 video with `q`/`h`/`f`
//! simulcast, Opus audio; active speakers (`SpeakersChanged`); keyframe requests
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
//! # Resume and token refresh
//!
//! A signal connection that drops without a leave does not end the session if its media ever
//! connected: the participant stays in its room — same sid, tracks and subscriptions, media
//! still forwarded both ways, nobody told anything — for the room's departure timeout (20 s by
//! default; CreateRoom can change it per room). Messages for it are held meanwhile (up to 256)
//! and no subscriber offer is made. A `reconnect=1&sid=PA_…` connection whose token verifies
//! for the same identity and room resumes it: `reconnect` (ReconnectResponse, with the sequence
//! of the last reliable data packet received from it, so the client resends later ones) first, then
//! the held messages in order, everyone's current info and the room, a refreshed token, and an
//! ICE-restart offer on the subscriber PC; the client's `sync_state` (subscriptions, disabled
//! tracks, published tracks) and ICE-restart publisher offer are then handled like any other.
//! New ICE credentials replace the old in the ufrag demux, so a client that moved to a new
//! address is found by its first STUN check. A subscriber offer lost with the connection is
//! settled with the client's sync state: taken if the client reports having applied it,
//! otherwise rolled back and made again. A second connection for a session replaces the first
//! (each connection has an id; the replaced one's requests and close are ignored). A resume for
//! an unknown or expired session, another identity or room, a session that missed more than
//! could be held, or a client reporting tracks the server does not know, gets
//! `leave{action: RECONNECT}` and rejoins from scratch; so does a session whose peer failed.
//! When the window passes the participant leaves normally (`SIGNAL_CLOSE`): updates to the
//! room, `track_unpublished` and `participant_left` webhooks. A PC-failure resume
//! (`reconnect_reason` publisher/subscriber failed, the old connection maybe still open) takes
//! the same path: both PCs restart ICE. A connection that closes before any media connected
//! leaves at once (its client cannot resume it).
//!
//! Every participant is sent `refresh_token` at session start, after each resume, when its
//! permission changes (RoomService UpdateParticipant), and every
//! [`TokenRefresh::interval`] (LiveKit's 5 minutes): a token for the same identity, name,
//! metadata, attributes, room and current permission, keeping the original's other grants,
//! signed with the server's key, valid for [`TokenRefresh::validity`] (10 minutes) or until the
//! original's expiry if later. A detached participant gets one when it resumes.
//!
//! Not yet: single-PC `/rtc/v1`; connection quality; REMB from subscribers (only TWCC feeds
//! the estimate); RED unwrapping for subscribers without RED; dynacast; metadata updates from
//! clients; TURN.

pub mod auth;
pub mod config;
pub mod control;
pub mod ids;
pub mod media;
pub mod revocation;
pub mod room;
mod shell;

pub use config::{RoomDefaults, SfuConfig, TokenRefresh};
pub use shell::{MediaServer, ServerHandle, SfuError};
