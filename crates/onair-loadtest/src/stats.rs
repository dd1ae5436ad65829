//! Counters shared by every client task: lock-free, so measuring does not serialise the clients.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// A latency histogram in microseconds with fixed buckets: 10 µs wide below 1 ms, 1 ms wide
/// below 100 ms, 10 ms wide up to 1 s, then one overflow bucket. Quantiles are reported as the
/// upper edge of their bucket, so they are never optimistic by more than one bucket.
#[derive(Debug)]
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    max_us: AtomicU64,
}

const FINE: u64 = 100; // 0..1 ms in 10 µs steps
const MEDIUM: u64 = 99; // 1..100 ms in 1 ms steps
const COARSE: u64 = 90; // 100 ms..1 s in 10 ms steps
const BUCKETS: usize = (FINE + MEDIUM + COARSE + 1) as usize;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max_us: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn bucket(us: u64) -> usize {
        let i = if us < 1_000 {
            us / 10
        } else if us < 100_000 {
            FINE + (us - 1_000) / 1_000
        } else if us < 1_000_000 {
            FINE + MEDIUM + (us - 100_000) / 10_000
        } else {
            FINE + MEDIUM + COARSE
        };
        i as usize
    }

    /// The largest value a bucket holds (its upper edge).
    fn upper(i: usize) -> u64 {
        let i = i as u64;
        if i < FINE {
            (i + 1) * 10
        } else if i < FINE + MEDIUM {
            1_000 + (i - FINE + 1) * 1_000
        } else if i < FINE + MEDIUM + COARSE {
            100_000 + (i - FINE - MEDIUM + 1) * 10_000
        } else {
            u64::MAX
        }
    }

    pub fn record(&self, us: u64) {
        self.buckets[Self::bucket(us)].fetch_add(1, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }

    pub fn max_us(&self) -> u64 {
        self.max_us.load(Relaxed)
    }

    /// The `q` quantile (0..=1) in microseconds, or `None` before any sample. A quantile in the
    /// overflow bucket is reported as the maximum seen.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Self::upper(i).min(self.max_us()));
            }
        }
        Some(self.max_us())
    }
}

/// Everything the clients count. Rates come from the difference of two [`Snapshot`]s.
#[derive(Debug, Default)]
pub struct Stats {
    /// Latency is recorded only inside the measurement window (after the ramp-up).
    pub measuring: AtomicBool,
    pub publishers_joined: AtomicU64,
    pub subscribers_joined: AtomicU64,
    /// Subscribers that received at least one media packet.
    pub subscribers_receiving: AtomicU64,
    pub failures: AtomicU64,
    pub sent_packets: AtomicU64,
    pub sent_bytes: AtomicU64,
    pub received_packets: AtomicU64,
    pub received_bytes: AtomicU64,
    /// Sequence-number gaps seen by subscribers that were never filled (after NACK/RTX).
    pub lost_packets: AtomicU64,
    pub keyframe_requests: AtomicU64,
    /// Publisher send time → subscriber receive time, both read from this process's clock.
    pub latency: Histogram,
    /// Token minted → first media packet received, per subscriber.
    pub join_to_media: Histogram,
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub publishers_joined: u64,
    pub subscribers_joined: u64,
    pub subscribers_receiving: u64,
    pub failures: u64,
    pub sent_packets: u64,
    pub sent_bytes: u64,
    pub received_packets: u64,
    pub received_bytes: u64,
    pub lost_packets: u64,
    pub keyframe_requests: u64,
}

impl Stats {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            publishers_joined: self.publishers_joined.load(Relaxed),
            subscribers_joined: self.subscribers_joined.load(Relaxed),
            subscribers_receiving: self.subscribers_receiving.load(Relaxed),
            failures: self.failures.load(Relaxed),
            sent_packets: self.sent_packets.load(Relaxed),
            sent_bytes: self.sent_bytes.load(Relaxed),
            received_packets: self.received_packets.load(Relaxed),
            received_bytes: self.received_bytes.load(Relaxed),
            lost_packets: self.lost_packets.load(Relaxed),
            keyframe_requests: self.keyframe_requests.load(Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_bucket_upper_edges_capped_by_the_maximum() {
        let h = Histogram::default();
        assert_eq!(h.quantile_us(0.5), None);
        for us in [5, 15, 25, 950, 1_500, 42_000, 250_000] {
            h.record(us);
        }
        assert_eq!(h.count(), 7);
        assert_eq!(h.quantile_us(0.0), Some(10));
        assert_eq!(h.quantile_us(0.5), Some(960), "4th of 7 is 950 µs");
        assert_eq!(h.quantile_us(0.7), Some(2_000), "5th of 7 is 1.5 ms");
        assert_eq!(
            h.quantile_us(1.0),
            Some(250_000),
            "capped by the maximum seen"
        );
        h.record(5_000_000);
        assert_eq!(
            h.quantile_us(1.0),
            Some(5_000_000),
            "overflow reports the maximum"
        );
    }

    #[test]
    fn every_value_lands_in_a_bucket_whose_upper_edge_covers_it() {
        for us in (0..2_000_000).step_by(997) {
            let i = Histogram::bucket(us);
            assert!(
                Histogram::upper(i) > us || Histogram::upper(i) == u64::MAX,
                "{us}"
            );
            if i > 0 {
                assert!(Histogram::upper(i - 1) <= us, "{us} belongs lower");
            }
        }
    }
}
