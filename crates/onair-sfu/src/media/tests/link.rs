//! A modelled network link toward one simulated client: propagation delay, and optionally a
//! bottleneck of limited capacity with a drop-tail queue (queueing delay, then loss), the way
//! a congested home uplink or mobile link behaves.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use str0m::net::Transmit;

/// Deterministic loss of RTP datagrams (never STUN, DTLS or RTCP, so the connection and its
/// feedback survive): every `every`-th RTP datagram is dropped.
#[derive(Debug, Default)]
pub struct Loss {
    pub every: Option<u64>,
    seen: u64,
    /// RTP datagrams dropped so far.
    pub lost: u64,
    /// RTP datagrams seen per payload type (dropped or not), to count retransmissions.
    pub by_pt: std::collections::HashMap<u8, u64>,
}

impl Loss {
    pub fn every(n: u64) -> Self {
        Loss {
            every: Some(n),
            ..Loss::default()
        }
    }

    /// Whether this datagram is lost.
    pub fn drops(&mut self, datagram: &[u8]) -> bool {
        let Some(n) = self.every else {
            return false;
        };
        // RTP: version 2 and a payload type outside RTCP's 200–207 (RFC 5761).
        let rtp =
            datagram.len() > 12 && datagram[0] >> 6 == 2 && !(200..=207).contains(&datagram[1]);
        if !rtp {
            return false;
        }
        self.seen += 1;
        *self.by_pt.entry(datagram[1] & 0x7f).or_default() += 1;
        let drop = self.seen.is_multiple_of(n);
        self.lost += u64::from(drop);
        drop
    }
}

/// See the module docs.
pub struct Link {
    /// One-way delay added to every datagram.
    pub delay: Duration,
    /// Bottleneck capacity in bit/s; `None` = unlimited.
    pub capacity_bps: Option<u64>,
    /// Bytes the bottleneck queue holds before it drops.
    pub queue_limit: usize,
    /// Datagrams in flight with their arrival times, in order.
    in_flight: VecDeque<(Instant, Transmit)>,
    /// When the bottleneck finishes sending what is queued.
    busy_until: Option<Instant>,
    /// Datagrams dropped at the full queue.
    pub dropped: u64,
    /// Bytes that made it through.
    pub delivered: u64,
    /// Random-like loss on the wire, before the bottleneck.
    pub loss: Loss,
}

impl Link {
    pub fn new(delay: Duration) -> Self {
        Link {
            delay,
            capacity_bps: None,
            queue_limit: 0,
            in_flight: VecDeque::new(),
            busy_until: None,
            dropped: 0,
            delivered: 0,
            loss: Loss::default(),
        }
    }

    /// Constrains the link to `bps` with a queue of `queue_limit` bytes, or lifts it (`None`).
    pub fn set_capacity(&mut self, bps: Option<u64>, queue_limit: usize) {
        self.capacity_bps = bps;
        self.queue_limit = queue_limit;
    }

    /// A datagram enters the link at `now`.
    pub fn send(&mut self, now: Instant, t: Transmit) {
        if self.loss.drops(&t.contents) {
            return;
        }
        let size = t.contents.len();
        let leaves = match self.capacity_bps {
            None => now,
            Some(bps) => {
                let start = self.busy_until.filter(|b| *b > now).unwrap_or(now);
                let backlog = start.duration_since(now).as_secs_f64() * bps as f64 / 8.0;
                if backlog + size as f64 > self.queue_limit as f64 {
                    self.dropped += 1;
                    return;
                }
                let done = start + Duration::from_secs_f64(size as f64 * 8.0 / bps as f64);
                self.busy_until = Some(done);
                done
            }
        };
        // Arrivals stay in order: a datagram never overtakes one queued before it.
        let arrives = (leaves + self.delay).max(self.in_flight.back().map_or(now, |(a, _)| *a));
        self.in_flight.push_back((arrives, t));
    }

    /// The next datagram that has arrived by `now`, with its arrival time.
    pub fn due(&mut self, now: Instant) -> Option<(Instant, Transmit)> {
        if self.in_flight.front().is_some_and(|(a, _)| *a <= now) {
            let (at, t) = self.in_flight.pop_front()?;
            self.delivered += t.contents.len() as u64;
            Some((at, t))
        } else {
            None
        }
    }
}
