//! Speaker detection on simulated time with synthetic audio levels.

use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::*;
use crate::auth::{JoinGrant, Permission};
use crate::config::RoomDefaults;
use crate::room::{JoinOptions, RoomOutput, TrackKind};

const FRAME: Duration = Duration::from_millis(20);

fn grant(identity: &str, hidden: bool) -> JoinGrant {
    JoinGrant {
        identity: identity.parse().unwrap(),
        name: identity.to_owned(),
        room: "studio".parse().unwrap(),
        metadata: String::new(),
        attributes: Default::default(),
        permission: Permission {
            can_subscribe: true,
            can_publish: true,
            can_publish_data: true,
            can_publish_sources: vec![],
            hidden,
            can_update_metadata: false,
        },
    }
}

/// A room with joined participants, each publishing one bound microphone track.
struct Room {
    core: RoomCore,
    now: Instant,
    people: Vec<(ParticipantSid, TrackSid)>,
    /// Per participant: RTP timestamp of its next packet.
    timestamps: Vec<u32>,
}

impl Room {
    fn new(who: &[(&str, bool)]) -> Self {
        let now = Instant::now();
        let mut core = RoomCore::new(RoomDefaults::default(), true, now, 1_700_000_000_000);
        let mut people = Vec::new();
        for (i, (identity, hidden)) in who.iter().enumerate() {
            let sid = core
                .join(now, grant(identity, *hidden), JoinOptions::default())
                .unwrap();
            let add = proto::AddTrackRequest {
                cid: format!("mic-{i}"),
                r#type: proto::TrackType::Audio as i32,
                source: proto::TrackSource::Microphone as i32,
                ..Default::default()
            };
            let track = core.add_track(&sid, add).unwrap();
            core.bind_track(&sid, Some(&format!("mic-{i}")), TrackKind::Audio, "0");
            people.push((sid, track));
        }
        while core.poll_output().is_some() {}
        Room {
            core,
            now,
            timestamps: vec![0; people.len()],
            people,
        }
    }

    /// Runs `duration` of 20 ms packets with these levels (`None` = not sending), driving the
    /// core's timer as the engine does; returns every SpeakersChanged sent to `to`, with the
    /// time it was sent.
    fn run(
        &mut self,
        levels: &[Option<u8>],
        duration: Duration,
        to: usize,
    ) -> Vec<(Duration, Vec<proto::SpeakerInfo>)> {
        let start = self.now;
        let mut got = Vec::new();
        let end = self.now + duration;
        while self.now < end {
            self.now += FRAME;
            for (i, level) in levels.iter().enumerate() {
                if let Some(level) = level {
                    let track = self.people[i].1.clone();
                    self.timestamps[i] = self.timestamps[i].wrapping_add(960);
                    self.core
                        .observe_audio_level(&track, *level, self.timestamps[i], self.now);
                }
            }
            if self.core.poll_timeout().is_some_and(|t| t <= self.now) {
                self.core.handle_timeout(self.now);
            }
            while let Some(out) = self.core.poll_output() {
                if let RoomOutput::Signal { to: t, message } = out
                    && t == self.people[to].0
                    && let Msg::SpeakersChanged(c) = *message
                {
                    got.push((self.now - start, c.speakers));
                }
            }
        }
        got
    }

    fn sid(&self, i: usize) -> String {
        self.people[i].0.to_string()
    }
}

#[test]
fn a_loud_participant_is_named_and_a_silent_one_is_not() {
    let mut room = Room::new(&[("alice", false), ("bob", false), ("viewer", false)]);
    let got = room.run(&[Some(10), Some(127), None], Duration::from_secs(3), 2);
    let (at, first) = got.first().expect("a speaker update was sent");
    assert!(
        *at <= Duration::from_millis(900),
        "alice was named only after {at:?}"
    );
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].sid, room.sid(0));
    assert!(first[0].active && first[0].level > 0.1, "{first:?}");
    assert!(
        got.iter()
            .flat_map(|(_, s)| s)
            .all(|s| s.sid != room.sid(1))
    );
    // Deltas at a bounded rate: at most one message per interval, and none once the level
    // has settled.
    for pair in got.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= UPDATE_INTERVAL, "{got:?}");
    }
    let settled = room.run(&[Some(10), Some(127), None], Duration::from_secs(2), 2);
    assert!(
        settled.is_empty(),
        "a steady level is not resent: {settled:?}"
    );
}

#[test]
fn a_speaker_who_stops_is_reported_inactive_once() {
    let mut room = Room::new(&[("alice", false), ("bob", false)]);
    room.run(&[Some(20), None], Duration::from_secs(2), 1);
    let got = room.run(&[Some(127), None], Duration::from_secs(2), 1);
    let all: Vec<_> = got.iter().flat_map(|(_, s)| s).collect();
    let stopped = all.iter().position(|s| !s.active).expect("alice stopped");
    assert_eq!(stopped, all.len() - 1, "nothing after the stop: {got:?}");
    assert_eq!(all[stopped].sid, room.sid(0));
    assert_eq!(all[stopped].level, 0.0);
    // A track that stops sending altogether falls silent too.
    room.run(&[Some(20), None], Duration::from_secs(2), 1);
    let got = room.run(&[None, None], Duration::from_secs(2), 1);
    assert!(
        got.iter()
            .flat_map(|(_, s)| s)
            .any(|s| s.sid == room.sid(0) && !s.active),
        "{got:?}"
    );
}

#[test]
fn the_loudest_comes_first_and_brief_blips_do_not_count() {
    let mut room = Room::new(&[("alice", false), ("bob", false), ("viewer", false)]);
    let got = room.run(&[Some(30), Some(5), None], Duration::from_millis(1200), 2);
    let (_, first) = got.first().expect("speakers were named");
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].sid, room.sid(1), "loudest first: {first:?}");
    assert!(first[0].level > first[1].level);

    // Less than 40 % of a window above the threshold is not speech.
    let mut room = Room::new(&[("alice", false), ("viewer", false)]);
    let mut sent = Vec::new();
    for _ in 0..10 {
        sent.extend(room.run(&[Some(10)], Duration::from_millis(100), 1));
        sent.extend(room.run(&[Some(127)], Duration::from_millis(300), 1));
    }
    assert!(sent.is_empty(), "blips were reported: {sent:?}");
}

#[test]
fn muted_tracks_and_hidden_participants_are_not_speakers() {
    let mut room = Room::new(&[("alice", false), ("ghost", true), ("viewer", false)]);
    let (alice, alice_track) = room.people[0].clone();
    room.core.set_muted(&alice, &alice_track, true);
    while room.core.poll_output().is_some() {}
    let got = room.run(&[Some(10), Some(10), None], Duration::from_secs(2), 2);
    assert!(got.is_empty(), "{got:?}");
    room.core.set_muted(&alice, &alice_track, false);
    let got = room.run(&[Some(10), Some(10), None], Duration::from_secs(1), 2);
    let named: Vec<&String> = got
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| &s.sid))
        .collect();
    assert!(
        named.iter().all(|s| **s == room.sid(0)) && !named.is_empty(),
        "{got:?}"
    );
}

#[test]
fn levels_follow_loudness_and_decay_when_stale() {
    let t0 = Instant::now();
    let mut meter = LevelMeter::default();
    for i in 0..40u32 {
        meter.observe(0, i * 960, t0 + FRAME * i);
    }
    let loud = meter.level(t0 + FRAME * 40);
    assert!(loud > 0.85 && loud <= 1.0, "{loud}");
    let mut quiet = LevelMeter::default();
    for i in 0..40u32 {
        quiet.observe(30, i * 960, t0 + FRAME * i);
    }
    let q = quiet.level(t0 + FRAME * 40);
    assert!(q > 0.0 && q < loud / 10.0, "{q} vs {loud}");
    assert_eq!(meter.level(t0 + FRAME * 40 + 2 * UPDATE_INTERVAL), 0.0);
}
