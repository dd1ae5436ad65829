//! Driving the engine from outside: datagrams in from the UDP socket and ICE-TCP connections,
//! and the timer (the next deadline out, timeouts in) that keeps every peer and track moving.

use super::guard::{PeerError, guard};
use super::*;

/// Cadence of the pass over published tracks: silent layers, measured bitrates, keyframe
/// requests parked by the throttle (so they wait at most this much longer).
const TRACK_TICK: Duration = Duration::from_millis(50);
/// Cadence of the media-timeout pass over participants.
const LIVENESS_TICK: Duration = Duration::from_secs(1);
/// Longest sleep when nothing is due.
const IDLE_WAKE: Duration = Duration::from_secs(1);

impl Engine {
    /// One datagram (UDP) or deframed ICE-TCP frame from `source`.
    pub fn receive(&mut self, now: Instant, proto: Protocol, source: SocketAddr, contents: &[u8]) {
        let destination = match proto {
            Protocol::Udp => self.endpoints.udp,
            _ => match self.endpoints.tcp {
                Some(a) => a,
                None => return,
            },
        };
        let Ok(receive) = Receive::new(proto, source, destination, contents) else {
            self.dropped_datagrams += 1;
            return;
        };
        let known = self.by_addr.get(&(proto, source)).cloned();
        let key = known.clone().or_else(|| {
            // An unknown address: only a STUN binding request naming our ufrag can introduce it.
            let msg = StunMessage::parse(contents).ok()?;
            let (local, _) = msg.split_username()?;
            self.by_ufrag.get(local).cloned()
        });
        let Some((sid, pc)) = key else {
            self.dropped_datagrams += 1;
            return;
        };
        let Some(peer) = self.peers.get_mut(&sid) else {
            self.dropped_datagrams += 1;
            return;
        };
        if peer.poisoned {
            self.dropped_datagrams += 1;
            return;
        }
        #[cfg(test)]
        let inject_panic = std::mem::take(&mut peer.inject_panic);
        let input = Input::Receive(now, receive);
        let rtc = peer.rtc(pc);
        let accepted = guard(|| rtc.accepts(&input));
        if accepted.as_ref().is_ok_and(|a| !a) {
            self.dropped_datagrams += 1;
            return;
        }
        if accepted.is_ok() && known.is_none() {
            peer.addrs.push((proto, source, pc));
            self.by_addr.insert((proto, source), (sid.clone(), pc));
        }
        let rtc = peer.rtc(pc);
        let handled = accepted.and_then(|_| {
            guard(|| {
                #[cfg(test)]
                if inject_panic {
                    panic!("injected: a str0m bug triggered by this datagram");
                }
                rtc.handle_input(input)
            })
        });
        if let Err(e) = handled.and_then(|r| r.map_err(PeerError::from)) {
            self.peer_failed(now, &sid, &e);
            return;
        }
        self.drain_peer(now, &sid, pc);
        self.pump(now);
    }

    /// Drives timers: str0m timeouts of the peers that are due, room timeouts, and (on their
    /// own cadence) the track pass and media liveness.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.core.handle_timeout(now);
        for (at, sid, idx) in self.timers.take_due(now) {
            let pc = if idx == 0 {
                Pc::Publisher
            } else {
                Pc::Subscriber
            };
            let Some(peer) = self.peers.get_mut(&sid) else {
                continue; // gone
            };
            if peer.deadline[idx] != at || peer.poisoned {
                continue; // stale: the peer has a newer deadline in the heap
            }
            let rtc = peer.rtc(pc);
            if let Err(e) = guard(|| rtc.handle_input(Input::Timeout(now))).and_then(|r| Ok(r?)) {
                self.peer_failed(now, &sid, &e);
                continue;
            }
            self.drain_peer(now, &sid, pc);
            // A new deadline was scheduled by the drain; the same instant again must be
            // re-armed here, or the peer would never wake.
            if let Some(peer) = self.peers.get(&sid)
                && peer.deadline[idx] == at
            {
                self.timers.schedule(at, &sid, idx);
            }
        }
        if self.timers.crowded(2 * self.peers.len()) {
            let live = self.peers.values().flat_map(|p| {
                [
                    (p.deadline[0], p.sid.clone(), 0),
                    (p.deadline[1], p.sid.clone(), 1),
                ]
            });
            self.timers.rebuild(live);
        }
        if now >= self.next_track_tick {
            self.next_track_tick = now + TRACK_TICK;
            self.tick_tracks(now);
        }
        if now >= self.next_liveness {
            self.next_liveness = now + LIVENESS_TICK;
            self.check_liveness(now);
        }
        self.pump(now);
    }

    /// Participants whose peer connections have been down for [`MEDIA_TIMEOUT`] are removed.
    fn check_liveness(&mut self, now: Instant) {
        let mut dead = Vec::new();
        for peer in self.peers.values_mut() {
            if peer.publisher.is_connected() || peer.subscriber.is_connected() {
                peer.alive_at = now;
            } else if now.saturating_duration_since(peer.alive_at) > MEDIA_TIMEOUT {
                dead.push(peer.sid.clone());
            }
        }
        for sid in dead {
            tracing::info!(participant = %sid, "media timeout");
            self.core
                .leave(now, &sid, proto::DisconnectReason::ConnectionTimeout);
        }
    }

    /// Layers that went silent are dropped from selection; parked keyframe requests go out.
    fn tick_tracks(&mut self, now: Instant) {
        let mut plis = Vec::new();
        let mut changed = Vec::new();
        let mut realloc = Vec::new();
        for (sid, media) in &mut self.tracks {
            let f = &mut media.forwarding;
            let rolled = f.meter.roll(&mut f.layers, now);
            if f.expire(now) || rolled == Some(true) {
                changed.push((
                    sid.clone(),
                    media.forwarding.layers,
                    media.subscribers.clone(),
                ));
            } else if rolled.is_some() {
                // Once per window anyway: the subscribers' probing schedules move on.
                realloc.extend(media.subscribers.iter().cloned());
            }
            while let Some(layer) = media.forwarding.throttle.poll(now) {
                plis.push((media.publisher.clone(), sid.clone(), layer));
            }
        }
        for (track, layers, subscribers) in changed {
            for s in subscribers {
                let fwd = self
                    .peers
                    .get_mut(&s)
                    .and_then(|p| p.subscriptions.get_mut(&track))
                    .and_then(|sub| sub.forwarding.forwarder.as_mut());
                if let Some(f) = fwd {
                    f.update_layers(&layers, now);
                }
                // New bitrates or layers change what each track could use.
                self.reallocate(now, &s);
            }
        }
        for s in realloc {
            self.reallocate(now, &s);
        }
        for (publisher, track, layer) in plis {
            self.send_pli(now, &publisher, &track, layer);
        }
    }

    /// When [`Engine::handle_timeout`] should next run: O(1) in peers and tracks.
    pub fn poll_timeout(&self, now: Instant) -> Instant {
        let tracks = (!self.tracks.is_empty()).then_some(self.next_track_tick);
        let liveness = (!self.peers.is_empty()).then_some(self.next_liveness);
        [
            self.timers.next(),
            self.core.poll_timeout(),
            tracks,
            liveness,
        ]
        .into_iter()
        .flatten()
        .fold(now + IDLE_WAKE, Instant::min)
    }
}
