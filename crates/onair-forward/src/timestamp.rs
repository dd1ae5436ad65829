//! RTP timestamp munging: continuous outgoing timestamps across layer switches and resumes.
//!
//! Each simulcast layer has its own random timestamp base, so a switch must rebase: the new
//! source's first packet is placed after the newest timestamp sent so far by the wallclock time
//! that elapsed between the two arrivals (converted with the clock rate, at least one tick), and
//! the rest of the source keeps that offset. Within a source the publisher's spacing is kept
//! untouched, so a late packet keeps its (older) timestamp, as it should.

use std::time::Instant;

/// Keeps `out = in + offset` (wrapping) per source and rebases at every new source.
#[derive(Debug, Clone)]
pub struct TimestampMunger {
    clock_rate: u32,
    state: Option<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    offset: u32,
    /// The newest outgoing timestamp (in RTP's wrapping order) and when its packet arrived;
    /// the next source is placed after it.
    highest: u32,
    highest_at: Instant,
}

/// The largest jump a rebase makes. Beyond half the 32-bit space a receiver would read the jump
/// as going backwards; a pause that long (over 6 hours at 90 kHz) is capped instead.
const MAX_JUMP: u64 = (1 << 30) - 1;

impl TimestampMunger {
    /// `clock_rate` of the codec: 90 000 for video, 48 000 for Opus.
    pub fn new(clock_rate: u32) -> Self {
        TimestampMunger {
            clock_rate: clock_rate.max(1),
            state: None,
        }
    }

    /// Starts a new source with its first packet; returns that packet's outgoing timestamp.
    /// The very first source keeps its timestamps (any base is fine for a fresh SSRC).
    pub fn start_source(&mut self, first: u32, arrival: Instant) -> u32 {
        let out = match self.state {
            None => first,
            Some(prev) => {
                let elapsed = arrival.saturating_duration_since(prev.highest_at);
                let ticks = elapsed.as_micros() * u128::from(self.clock_rate) / 1_000_000;
                let jump = (ticks as u64).clamp(1, MAX_JUMP) as u32;
                prev.highest.wrapping_add(jump)
            }
        };
        self.state = Some(State {
            offset: out.wrapping_sub(first),
            highest: out,
            highest_at: arrival,
        });
        out
    }

    /// Maps a packet of the current source (starting one if there is none).
    pub fn map(&mut self, ts: u32, arrival: Instant) -> u32 {
        let Some(state) = self.state.as_mut() else {
            return self.start_source(ts, arrival);
        };
        let out = ts.wrapping_add(state.offset);
        if is_newer(out, state.highest) {
            state.highest = out;
            state.highest_at = arrival;
        }
        out
    }

    /// The newest outgoing timestamp so far.
    pub fn highest(&self) -> Option<u32> {
        self.state.map(|s| s.highest)
    }
}

/// RTP's wrapping order: `a` is newer than `b` when it is less than half the space ahead.
pub fn is_newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < (1 << 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn first_source_keeps_timestamps() {
        let t0 = Instant::now();
        let mut m = TimestampMunger::new(90_000);
        assert_eq!(m.map(1234, t0), 1234);
        assert_eq!(m.map(1234 + 3000, t0 + Duration::from_millis(33)), 4234);
        // late packet keeps its older timestamp
        assert_eq!(m.map(1234, t0 + Duration::from_millis(40)), 1234);
        assert_eq!(m.highest(), Some(4234));
    }

    #[test]
    fn switch_places_new_source_after_elapsed_time() {
        let t0 = Instant::now();
        // (clock, elapsed since the newest packet, expected jump)
        let table = [
            (90_000, Duration::from_millis(33), 2970),
            (90_000, Duration::from_millis(0), 1),
            (48_000, Duration::from_millis(20), 960),
            (90_000, Duration::from_secs(1), 90_000),
            (90_000, Duration::from_secs(100_000), MAX_JUMP as u32),
        ];
        for (clock, elapsed, jump) in table {
            let mut m = TimestampMunger::new(clock);
            m.map(u32::MAX - 10, t0);
            let out = m.start_source(777, t0 + elapsed);
            assert_eq!(
                out,
                (u32::MAX - 10).wrapping_add(jump),
                "{clock} {elapsed:?}"
            );
            assert_eq!(m.map(777 + 3000, t0 + elapsed), out.wrapping_add(3000));
            assert!(is_newer(out, u32::MAX - 10));
        }
    }

    #[test]
    fn newest_is_tracked_across_wrap() {
        let t0 = Instant::now();
        let mut m = TimestampMunger::new(90_000);
        m.map(u32::MAX - 100, t0);
        m.map(50, t0 + Duration::from_millis(2)); // wrapped, newer
        m.map(u32::MAX - 50, t0 + Duration::from_millis(3)); // late
        assert_eq!(m.highest(), Some(50));
        let out = m.start_source(9, t0 + Duration::from_millis(12));
        assert_eq!(out, 50 + 900);
    }

    #[test]
    fn wrapping_order() {
        let table = [
            (1, 0, true),
            (0, 1, false),
            (0, u32::MAX, true),
            (5, 5, false),
            (1 << 31, 0, false),
            ((1 << 31) - 1, 0, true),
        ];
        for (a, b, want) in table {
            assert_eq!(is_newer(a, b), want, "{a} vs {b}");
        }
    }
}
