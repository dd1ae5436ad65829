//! Driving the engine from outside: datagrams in from the UDP socket and ICE-TCP connections,
//! and the timer (the next deadline out, timeouts in) that keeps every peer and track moving.

use super::*;

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
        let input = Input::Receive(now, receive);
        let rtc = peer.rtc(pc);
        if !rtc.accepts(&input) {
            self.dropped_datagrams += 1;
            return;
        }
        if known.is_none() {
            peer.addrs.push((proto, source, pc));
            self.by_addr.insert((proto, source), (sid.clone(), pc));
        }
        if let Err(e) = peer.rtc(pc).handle_input(input) {
            tracing::info!(participant = %sid, error = %e, "peer failed on input");
            self.fail(now, &sid);
            return;
        }
        self.drain_peer(now, &sid, pc);
        self.pump(now);
    }

    /// Drives timers: str0m timeouts, room timeouts, media liveness.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.core.handle_timeout(now);
        let due: Vec<(ParticipantSid, Pc)> = self
            .peers
            .values()
            .flat_map(|p| {
                [Pc::Publisher, Pc::Subscriber]
                    .into_iter()
                    .filter(|pc| p.deadline[peer::idx(*pc)] <= now)
                    .map(|pc| (p.sid.clone(), pc))
            })
            .collect();
        for (sid, pc) in due {
            let Some(peer) = self.peers.get_mut(&sid) else {
                continue;
            };
            if let Err(e) = peer.rtc(pc).handle_input(Input::Timeout(now)) {
                tracing::info!(participant = %sid, error = %e, "peer failed on timeout");
                self.fail(now, &sid);
                continue;
            }
            self.drain_peer(now, &sid, pc);
        }
        self.tick_tracks(now);
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
        self.pump(now);
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

    /// When [`Engine::handle_timeout`] should next run.
    pub fn poll_timeout(&self, now: Instant) -> Instant {
        let liveness = now + Duration::from_secs(1);
        let parked_keyframes = self
            .tracks
            .values()
            .filter_map(|t| t.forwarding.throttle.poll_timeout());
        self.peers
            .values()
            .flat_map(|p| p.deadline)
            .chain(self.core.poll_timeout())
            .chain(parked_keyframes)
            .fold(liveness, Instant::min)
    }
}
