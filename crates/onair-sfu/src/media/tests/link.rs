//! A modelled network link toward one simulated client: propagation delay, and optionally a
//! bottleneck of limited capacity with a drop-tail queue (queueing delay, then loss), the way
//! a congested home uplink or mobile link behaves.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use str0m::net::Transmit;

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
        }
    }

    /// Constrains the link to `bps` with a queue of `queue_limit` bytes, or lifts it (`None`).
    pub fn set_capacity(&mut self, bps: Option<u64>, queue_limit: usize) {
        self.capacity_bps = bps;
        self.queue_limit = queue_limit;
    }

    /// A datagram enters the link at `now`.
    pub fn send(&mut self, now: Instant, t: Transmit) {
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
