//! Moderation: the creator of a stream (or an admin) removes a participant from its room and
//! bans that identity from the stream.
//!
//! Removing records a ban in the store (the token endpoint then refuses that identity with
//! 403) and asks the media server, through RoomService `RemoveParticipant`, to disconnect the
//! participant and revoke the tokens it holds (`revoke_token_ts` left at LiveKit's default:
//! tokens minted until a minute from now), so the client cannot reconnect with the token it
//! has. Both halves are what a LiveKit deployment offers, so the same code works against the
//! embedded media server and against LiveKit Cloud; and because a deployment might not honour
//! the revocation (or the call might be lost), a `participant_joined` webhook for a banned
//! identity removes it again.
//!
//! Rules (decided here; the API answers them with the usual error codes):
//! - Only the stream's creator or an admin may remove (401 signed out, 403 anyone else).
//! - The creator cannot be removed from their own stream, and nobody can remove themselves:
//!   422 naming `identity` (a creator ends the stream instead).
//! - An identity that is not in the room is banned all the same (`disconnected: false`):
//!   moderation also works before someone arrives or while they reconnect.
//! - Unknown stream 404; deleted or ENDED stream 410, as for tokens and edits.
//! - A guest (`guest-…`) is banned by identity; a new guest token is a new identity, so a
//!   determined guest can come back as another guest (signed-in viewers cannot).
//! - If the media server cannot be reached, the ban still stands and the answer says
//!   `disconnected: false`; the webhook rule removes the participant when it next joins.

pub mod api;
pub(crate) mod service;

pub use api::router;
