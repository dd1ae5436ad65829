//! The RoomService methods: for each, its request type, the grant it needs, LiveKit's limits,
//! and the backend call whose result becomes the response message.

use std::future::Future;
use std::time::Duration;

use axum::response::Response;
use livekit_api::access_token::Claims;
use livekit_protocol as proto;
use serde::{Serialize, de::DeserializeOwned};

use super::auth::Grant;
use super::codec::Encoding;
use super::error::{Code, TwirpError};
use crate::backend::{RoomBackend, RoomError};

/// The size limits LiveKit applies to RoomService requests (`LimitConfig`), plus the request
/// body limit. Lengths are in bytes, as LiveKit counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Room names in CreateRoom (and, in the media server, in join tokens). LiveKit default 256.
    pub max_room_name_length: usize,
    /// Participant identities. Not checked by RoomService (requests name existing identities,
    /// so an over-long one is simply not found); kept here so the media server applies the same
    /// value at join. LiveKit default 256.
    pub max_participant_identity_length: usize,
    /// Participant display names in UpdateParticipant. LiveKit default 256.
    pub max_participant_name_length: usize,
    /// Room metadata (CreateRoom, UpdateRoomMetadata) and participant metadata
    /// (UpdateParticipant). 512 KiB.
    pub max_metadata_size: usize,
    /// Sum of key and value lengths of participant attributes. 64 KiB.
    pub max_attributes_size: usize,
    /// Whole request body. Large enough for maximal metadata and attributes in JSON with
    /// escaping, small enough that a client cannot make the server buffer much.
    pub max_body_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_room_name_length: 256,
            max_participant_identity_length: 256,
            max_participant_name_length: 256,
            max_metadata_size: 512 * 1024,
            max_attributes_size: 64 * 1024,
            max_body_size: 2 * 1024 * 1024,
        }
    }
}

/// The RoomService methods this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    CreateRoom,
    ListRooms,
    DeleteRoom,
    ListParticipants,
    GetParticipant,
    RemoveParticipant,
    MutePublishedTrack,
    UpdateParticipant,
    UpdateSubscriptions,
    SendData,
    UpdateRoomMetadata,
}

/// What a method name in the URL resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Method(Method),
    /// Part of LiveKit's RoomService but not offered by this server (`unimplemented`).
    Unsupported,
    /// Not a RoomService method at all (`bad_route`).
    Unknown,
}

impl Method {
    pub const ALL: [Method; 11] = [
        Method::CreateRoom,
        Method::ListRooms,
        Method::DeleteRoom,
        Method::ListParticipants,
        Method::GetParticipant,
        Method::RemoveParticipant,
        Method::MutePublishedTrack,
        Method::UpdateParticipant,
        Method::UpdateSubscriptions,
        Method::SendData,
        Method::UpdateRoomMetadata,
    ];

    /// The Twirp method name, as in the URL.
    pub fn name(self) -> &'static str {
        match self {
            Method::CreateRoom => "CreateRoom",
            Method::ListRooms => "ListRooms",
            Method::DeleteRoom => "DeleteRoom",
            Method::ListParticipants => "ListParticipants",
            Method::GetParticipant => "GetParticipant",
            Method::RemoveParticipant => "RemoveParticipant",
            Method::MutePublishedTrack => "MutePublishedTrack",
            Method::UpdateParticipant => "UpdateParticipant",
            Method::UpdateSubscriptions => "UpdateSubscriptions",
            Method::SendData => "SendData",
            Method::UpdateRoomMetadata => "UpdateRoomMetadata",
        }
    }
}

impl Route {
    pub fn from_name(name: &str) -> Self {
        if let Some(method) = Method::ALL.into_iter().find(|m| m.name() == name) {
            return Route::Method(method);
        }
        match name {
            "ForwardParticipant" | "MoveParticipant" | "PerformRpc" => Route::Unsupported,
            _ => Route::Unknown,
        }
    }
}

/// One authenticated request, ready for a method.
pub struct Call<'a, B> {
    pub backend: &'a B,
    pub encoding: Encoding,
    pub body: &'a [u8],
    /// `None` when the request carried no token; every method then fails its grant check.
    pub claims: Option<&'a Claims>,
    pub limits: &'a Limits,
    /// From `X-Twirp-Timeout-Ms`: the backend call is abandoned after this long.
    pub deadline: Option<Duration>,
}

/// Runs `method`: decode → grant check → limits → backend → encode.
pub async fn dispatch<B: RoomBackend>(
    method: Method,
    cx: Call<'_, B>,
) -> Result<Response, TwirpError> {
    let b = cx.backend;
    match method {
        Method::CreateRoom => run(&cx, |r| b.create_room(r)).await,
        Method::ListRooms => {
            run(&cx, |r| async {
                Ok(proto::ListRoomsResponse {
                    rooms: b.list_rooms(r).await?,
                })
            })
            .await
        }
        Method::DeleteRoom => {
            run(&cx, |r| async {
                b.delete_room(r)
                    .await
                    .map(|()| proto::DeleteRoomResponse {})
            })
            .await
        }
        Method::ListParticipants => {
            run(&cx, |r| async {
                let participants = b.list_participants(r).await?;
                Ok(proto::ListParticipantsResponse { participants })
            })
            .await
        }
        Method::GetParticipant => run(&cx, |r| b.get_participant(r)).await,
        Method::RemoveParticipant => {
            run(&cx, |r| async {
                b.remove_participant(r)
                    .await
                    .map(|()| proto::RemoveParticipantResponse {})
            })
            .await
        }
        Method::MutePublishedTrack => {
            run(&cx, |r| async {
                let track = b.mute_published_track(r).await?;
                Ok(proto::MuteRoomTrackResponse { track: Some(track) })
            })
            .await
        }
        Method::UpdateParticipant => run(&cx, |r| b.update_participant(r)).await,
        Method::UpdateSubscriptions => {
            run(&cx, |r| async {
                b.update_subscriptions(r)
                    .await
                    .map(|()| proto::UpdateSubscriptionsResponse {})
            })
            .await
        }
        Method::SendData => {
            run(&cx, |r| async {
                b.send_data(r).await.map(|()| proto::SendDataResponse {})
            })
            .await
        }
        Method::UpdateRoomMetadata => run(&cx, |r| b.update_room_metadata(r)).await,
    }
}

async fn run<B, Req, Resp, Fut>(
    cx: &Call<'_, B>,
    call: impl FnOnce(Req) -> Fut,
) -> Result<Response, TwirpError>
where
    Req: Checked,
    Resp: prost::Message + Serialize,
    Fut: Future<Output = Result<Resp, RoomError>>,
{
    let req: Req = cx.encoding.decode(cx.body)?;
    req.grant().check(cx.claims)?;
    req.validate(cx.limits)?;
    let result = match cx.deadline {
        None => call(req).await,
        Some(deadline) => tokio::time::timeout(deadline, call(req))
            .await
            .map_err(|_| TwirpError::new(Code::DeadlineExceeded, "request timed out"))?,
    };
    Ok(cx.encoding.respond(&result?))
}

/// A request message with its grant and limits.
trait Checked: prost::Message + Default + DeserializeOwned {
    fn grant(&self) -> Grant<'_>;

    fn validate(&self, _limits: &Limits) -> Result<(), TwirpError> {
        Ok(())
    }
}

fn check_len(what: &str, len: usize, max: usize) -> Result<(), TwirpError> {
    if len > max {
        Err(TwirpError::invalid_argument(what, max))
    } else {
        Ok(())
    }
}

const ROOM_NAME: &str = "room name length exceeds limits";
const NAME: &str = "name length exceeds limits";
const METADATA: &str = "metadata size exceeds limits";
const ATTRIBUTES: &str = "attribute size exceeds limits";

impl Checked for proto::CreateRoomRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Create
    }

    fn validate(&self, limits: &Limits) -> Result<(), TwirpError> {
        if self.name.is_empty() {
            return Err(TwirpError::new(Code::InvalidArgument, "no room name")
                .with_meta("argument", "name"));
        }
        check_len(ROOM_NAME, self.name.len(), limits.max_room_name_length)?;
        check_len(METADATA, self.metadata.len(), limits.max_metadata_size)
    }
}

impl Checked for proto::ListRoomsRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::List
    }
}

impl Checked for proto::DeleteRoomRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Create
    }
}

impl Checked for proto::ListParticipantsRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }
}

impl Checked for proto::RoomParticipantIdentity {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }
}

impl Checked for proto::MuteRoomTrackRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }
}

impl Checked for proto::UpdateParticipantRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }

    fn validate(&self, limits: &Limits) -> Result<(), TwirpError> {
        check_len(NAME, self.name.len(), limits.max_participant_name_length)?;
        check_len(METADATA, self.metadata.len(), limits.max_metadata_size)?;
        let attributes = self.attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
        check_len(ATTRIBUTES, attributes, limits.max_attributes_size)
    }
}

impl Checked for proto::UpdateSubscriptionsRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }
}

impl Checked for proto::SendDataRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }

    fn validate(&self, _limits: &Limits) -> Result<(), TwirpError> {
        // LiveKit: the nonce is either absent or a 128-bit id used for de-duplication.
        match self.nonce.len() {
            0 | 16 => Ok(()),
            n => Err(TwirpError::new(
                Code::InvalidArgument,
                format!("nonce should be 16-bytes or not present, got: {n} bytes"),
            )),
        }
    }
}

impl Checked for proto::UpdateRoomMetadataRequest {
    fn grant(&self) -> Grant<'_> {
        Grant::Admin { room: &self.room }
    }

    fn validate(&self, limits: &Limits) -> Result<(), TwirpError> {
        check_len(METADATA, self.metadata.len(), limits.max_metadata_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_name() {
        assert_eq!(
            Route::from_name("CreateRoom"),
            Route::Method(Method::CreateRoom)
        );
        assert_eq!(
            Route::from_name("SendData"),
            Route::Method(Method::SendData)
        );
        assert_eq!(Route::from_name("PerformRpc"), Route::Unsupported);
        for method in Method::ALL {
            assert_eq!(Route::from_name(method.name()), Route::Method(method));
        }
        assert_eq!(Route::from_name("createRoom"), Route::Unknown);
        assert_eq!(Route::from_name(""), Route::Unknown);
    }

    #[test]
    fn limits_are_checked_in_bytes_with_livekit_messages() {
        let limits = Limits::default();
        let req = proto::UpdateParticipantRequest {
            name: "é".repeat(129), // 258 bytes, 129 chars
            ..Default::default()
        };
        let err = req.validate(&limits).unwrap_err();
        assert_eq!(err.msg, "name length exceeds limits 256");
        assert_eq!(err.meta["argument"], "name length exceeds limits");

        let mut attributes = std::collections::HashMap::new();
        attributes.insert("k".repeat(32 * 1024), "v".repeat(32 * 1024));
        let req = proto::UpdateParticipantRequest {
            attributes,
            ..Default::default()
        };
        assert!(req.validate(&limits).is_ok(), "exactly 64 KiB is allowed");
        let mut req = req;
        req.attributes.insert("x".into(), String::new());
        assert_eq!(
            req.validate(&limits).unwrap_err().meta["argument"],
            ATTRIBUTES
        );
    }

    #[test]
    fn create_room_needs_a_name() {
        let err = proto::CreateRoomRequest::default()
            .validate(&Limits::default())
            .unwrap_err();
        assert_eq!(err.code, Code::InvalidArgument);
    }

    #[test]
    fn nonce_is_empty_or_sixteen_bytes() {
        let mut req = proto::SendDataRequest::default();
        for (len, ok) in [(0, true), (16, true), (15, false), (17, false)] {
            req.nonce = vec![0; len];
            assert_eq!(req.validate(&Limits::default()).is_ok(), ok, "{len}");
        }
    }
}
