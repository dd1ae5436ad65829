//! Publishing and subscribing: AddTrack and the binding of a track to its m-line, unpublish and
//! mute, and which subscriber receives which track.

use super::*;

impl RoomCore {
    pub(super) fn wants_auto_subscribe(&self, sid: &ParticipantSid) -> bool {
        self.participants
            .get(sid)
            .is_some_and(|p| p.auto_subscribe && p.permission.can_subscribe)
    }

    pub(super) fn subscribe(
        &mut self,
        subscriber: &ParticipantSid,
        publisher: ParticipantSid,
        track: TrackSid,
        kind: TrackKind,
        mid: String,
    ) {
        if self
            .subscribers
            .entry(track.clone())
            .or_default()
            .insert(subscriber.clone())
        {
            self.outputs.push_back(RoomOutput::Subscribe {
                subscriber: subscriber.clone(),
                publisher,
                track,
                kind,
                publisher_mid: mid,
            });
        }
    }

    pub(super) fn unsubscribe_all(&mut self, track: &TrackSid) {
        if let Some(subs) = self.subscribers.remove(track) {
            for subscriber in subs {
                self.outputs.push_back(RoomOutput::Unsubscribe {
                    subscriber,
                    track: track.clone(),
                });
            }
        }
    }

    /// Handles an AddTrackRequest: checks the grant, assigns a `TR_` sid, answers the publisher
    /// and announces the track. Media starts flowing once the track's m-line is bound.
    pub fn add_track(
        &mut self,
        sid: &ParticipantSid,
        req: proto::AddTrackRequest,
    ) -> Result<TrackSid, PublishError> {
        let participant = self
            .participants
            .get_mut(sid)
            .ok_or(PublishError::UnknownParticipant)?;
        let source =
            proto::TrackSource::try_from(req.source).unwrap_or(proto::TrackSource::Unknown);
        let kind = match proto::TrackType::try_from(req.r#type) {
            Ok(proto::TrackType::Audio) => TrackKind::Audio,
            Ok(proto::TrackType::Video) => TrackKind::Video,
            _ => return Err(PublishError::UnsupportedType),
        };
        if !participant.permission.allows_source(source) {
            let refusal = proto::RequestResponse {
                reason: proto::request_response::Reason::NotAllowed as i32,
                message: "not allowed to publish this source".to_owned(),
                request: Some(proto::request_response::Request::AddTrack(req)),
                ..Default::default()
            };
            self.signal(sid, Msg::RequestResponse(refusal));
            return Err(PublishError::NotAllowed(source));
        }
        // Re-sent AddTrack for a cid already announced: answer with the same track.
        if let Some(existing) = participant.tracks.iter().find(|t| t.cid == req.cid) {
            let info = existing.to_proto();
            let track_sid = existing.sid.clone();
            self.signal(
                sid,
                Msg::TrackPublished(proto::TrackPublishedResponse {
                    cid: req.cid,
                    track: Some(info),
                }),
            );
            return Ok(track_sid);
        }
        let mime_type = req
            .simulcast_codecs
            .iter()
            .find(|c| !c.codec.is_empty())
            .map(|c| format!("video/{}", c.codec.to_uppercase()))
            .unwrap_or_else(|| match kind {
                TrackKind::Audio => "audio/opus".to_owned(),
                TrackKind::Video => "video/VP8".to_owned(),
            });
        let track = Track {
            sid: TrackSid::generate(),
            cid: req.cid.clone(),
            alt_cids: req
                .simulcast_codecs
                .iter()
                .map(|c| c.cid.clone())
                .filter(|c| !c.is_empty())
                .collect(),
            kind,
            source,
            name: req.name,
            muted: req.muted,
            width: req.width,
            height: req.height,
            layers: req.layers,
            mime_type,
            mid: None,
            stream: req.stream,
        };
        let info = track.to_proto();
        let track_sid = track.sid.clone();
        let first = participant.tracks.is_empty();
        participant.tracks.push(track);
        participant.version += 1;
        let room = participant.room.clone();
        let pinfo = participant.to_proto();
        self.track_owner.insert(track_sid.clone(), sid.clone());
        self.signal(
            sid,
            Msg::TrackPublished(proto::TrackPublishedResponse {
                cid: req.cid,
                track: Some(info.clone()),
            }),
        );
        self.broadcast_participant(sid);
        if first {
            self.tell_room_quality(sid);
        }
        self.outputs
            .push_back(RoomOutput::event(RoomEvent::TrackPublished {
                room,
                participant: pinfo,
                track: info,
            }));
        Ok(track_sid)
    }

    /// Binds a publisher-PC m-line to one of the participant's announced tracks (matched by the
    /// msid track id, then simulcast-codec cids, then the first unbound track of that kind), and
    /// subscribes everyone who wants it.
    pub fn bind_track(
        &mut self,
        sid: &ParticipantSid,
        msid_track: Option<&str>,
        kind: TrackKind,
        mid: &str,
    ) -> Option<TrackSid> {
        let participant = self.participants.get_mut(sid)?;
        if let Some(t) = participant
            .tracks
            .iter()
            .find(|t| t.mid.as_deref() == Some(mid))
        {
            return Some(t.sid.clone());
        }
        let unbound = |t: &&mut Track| t.mid.is_none() && t.kind == kind;
        let idx = msid_track
            .and_then(|cid| {
                participant
                    .tracks
                    .iter()
                    .position(|t| t.mid.is_none() && t.cid == cid)
            })
            .or_else(|| {
                msid_track.and_then(|cid| {
                    participant
                        .tracks
                        .iter()
                        .position(|t| t.mid.is_none() && t.alt_cids.iter().any(|c| c == cid))
                })
            })
            .or_else(|| participant.tracks.iter_mut().position(|t| unbound(&t)))?;
        let track = &mut participant.tracks[idx];
        track.mid = Some(mid.to_owned());
        let track_sid = track.sid.clone();
        participant.version += 1;
        let room = participant.room.clone();
        self.broadcast_participant(sid);
        let subscribers: Vec<ParticipantSid> = self
            .members(&room)
            .filter(|p| &p.sid != sid && p.auto_subscribe && p.permission.can_subscribe)
            .map(|p| p.sid.clone())
            .collect();
        for s in subscribers {
            self.subscribe(&s, sid.clone(), track_sid.clone(), kind, mid.to_owned());
        }
        Some(track_sid)
    }

    /// The publisher stopped sending on `mid` (unpublish by renegotiation).
    pub fn unpublish_mid(&mut self, sid: &ParticipantSid, mid: &str) {
        let track = self
            .participants
            .get(sid)
            .and_then(|p| p.tracks.iter().find(|t| t.mid.as_deref() == Some(mid)))
            .map(|t| t.sid.clone());
        if let Some(track) = track {
            self.unpublish(sid, &track);
        }
    }

    /// Removes a track: subscribers lose it, everyone gets the shorter track list.
    pub fn unpublish(&mut self, sid: &ParticipantSid, track: &TrackSid) {
        let Some(participant) = self.participants.get_mut(sid) else {
            return;
        };
        let Some(idx) = participant.tracks.iter().position(|t| &t.sid == track) else {
            return;
        };
        let removed = participant.tracks.remove(idx);
        participant.version += 1;
        let room = participant.room.clone();
        let pinfo = participant.to_proto();
        self.track_owner.remove(track);
        self.unsubscribe_all(track);
        self.signal(
            sid,
            Msg::TrackUnpublished(proto::TrackUnpublishedResponse {
                track_sid: track.to_string(),
            }),
        );
        self.broadcast_participant(sid);
        self.outputs
            .push_back(RoomOutput::event(RoomEvent::TrackUnpublished {
                room,
                participant: pinfo,
                track: removed.to_proto(),
            }));
    }

    /// Mute or unmute a published track (by its publisher, or by the server).
    pub fn set_muted(&mut self, sid: &ParticipantSid, track: &TrackSid, muted: bool) -> bool {
        let Some(participant) = self.participants.get_mut(sid) else {
            return false;
        };
        let Some(t) = participant.tracks.iter_mut().find(|t| &t.sid == track) else {
            return false;
        };
        if t.muted != muted {
            t.muted = muted;
            participant.version += 1;
            self.broadcast_participant(sid);
        }
        true
    }

    /// The participant's media connected: it counts as ACTIVE.
    pub fn set_active(&mut self, sid: &ParticipantSid) {
        let Some(p) = self.participants.get_mut(sid) else {
            return;
        };
        if p.state != proto::participant_info::State::Active {
            p.state = proto::participant_info::State::Active;
            p.version += 1;
            self.broadcast_participant(sid);
        }
    }

    /// UpdateSubscription: explicit subscribe/unsubscribe to tracks by sid.
    pub fn update_subscription(
        &mut self,
        sid: &ParticipantSid,
        tracks: &[TrackSid],
        subscribe: bool,
    ) {
        let can = self
            .participants
            .get(sid)
            .is_some_and(|p| p.permission.can_subscribe);
        for track in tracks {
            let Some(owner) = self.track_owner.get(track).cloned() else {
                continue;
            };
            if &owner == sid {
                continue;
            }
            if subscribe && can {
                let bound = self
                    .participants
                    .get(&owner)
                    .and_then(|p| p.track(track))
                    .and_then(|t| t.mid.clone().map(|m| (t.kind, m)));
                if let Some((kind, mid)) = bound {
                    self.subscribe(sid, owner, track.clone(), kind, mid);
                }
            } else if !subscribe
                && self
                    .subscribers
                    .get_mut(track)
                    .is_some_and(|s| s.remove(sid))
            {
                self.outputs.push_back(RoomOutput::Unsubscribe {
                    subscriber: sid.clone(),
                    track: track.clone(),
                });
            }
        }
    }
}
