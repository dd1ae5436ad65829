//! CPU cost of forwarding: one publisher's packet stream fanned out to N forwarders.
//!
//! Each iteration is one incoming packet: `PacketInfo::parse` once, then `Forwarder::forward`
//! for each of the N subscribers, as the SFU does per packet. Cases:
//! - `vp8_patch`: 1100-byte VP8 packets on the top simulcast layer; the decision carries the
//!   picture-id/TL0PICIDX patch for str0m to apply while serialising (the SFU's path);
//! - `vp8_rewrite`: the same, plus copying the payload into a reused buffer and rewriting the
//!   descriptor there (the path without str0m's patch support);
//! - `opus`: 120-byte Opus packets, the single-layer audio path.
//!
//! Besides criterion's report, the run ends with a table of ns per packet per subscriber.
//!
//! `cargo bench -p onair-forward --bench forward -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use onair_forward::{
    Codec, Decision, Forwarder, ForwarderConfig, IncomingPacket, Layer, PacketInfo, TrackLayers,
    layer::LayerInfo,
};

const SUBSCRIBERS: [usize; 3] = [1, 10, 100];

/// (case, subscribers) → (total time, total packet×subscriber operations)
static TOTALS: Mutex<Vec<(String, usize, Duration, u64)>> = Mutex::new(Vec::new());

fn record(case: &str, subs: usize, elapsed: Duration, iters: u64) {
    let mut totals = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    match totals
        .iter_mut()
        .find(|(c, s, _, _)| c == case && *s == subs)
    {
        Some(entry) => {
            entry.2 += elapsed;
            entry.3 += iters * subs as u64;
        }
        None => totals.push((case.to_owned(), subs, elapsed, iters * subs as u64)),
    }
}

/// An endless publisher stream: frames of `per_frame` packets, 30 fps, a keyframe first.
struct Stream {
    codec: Codec,
    layer: Layer,
    payloads: Vec<Vec<u8>>,
    per_frame: u64,
    ts_step: u32,
    seq: u64,
    t0: Instant,
}

impl Stream {
    fn vp8() -> Self {
        let payload = |pic: u16, keyframe: bool| {
            let mut p = vec![
                0x90,
                0xc0,
                0x80 | (pic >> 8) as u8,
                pic as u8,
                7,
                u8::from(!keyframe),
            ];
            p.resize(1100, 0x5a);
            p
        };
        // packet 0 is a keyframe's first packet; the rest are interframes
        let payloads = (0..64).map(|i| payload(i as u16, i == 0)).collect();
        Stream {
            codec: Codec::Vp8,
            layer: Layer::HIGH,
            payloads,
            per_frame: 5,
            ts_step: 3000,
            seq: 40_000,
            t0: Instant::now(),
        }
    }

    fn opus() -> Self {
        Stream {
            codec: Codec::Opus,
            layer: Layer::BASE,
            payloads: vec![vec![0x78; 120]],
            per_frame: 1,
            ts_step: 960,
            seq: 40_000,
            t0: Instant::now(),
        }
    }

    /// The next packet: its payload index, seq, timestamp, marker, arrival.
    fn next(&mut self) -> (usize, u64, u32, bool, Instant) {
        let n = self.seq - 40_000;
        self.seq += 1;
        let frame = n / self.per_frame;
        let idx = match self.payloads.len() {
            1 => 0,
            _ if n == 0 => 0,
            len => 1 + n as usize % (len - 1),
        };
        let marker = (n + 1).is_multiple_of(self.per_frame);
        let arrival = self.t0 + Duration::from_millis(frame * 33);
        (
            idx,
            self.seq - 1,
            (frame as u32).wrapping_mul(self.ts_step),
            marker,
            arrival,
        )
    }
}

fn forwarders(codec: Codec, n: usize) -> Vec<Forwarder> {
    let layers = TrackLayers(
        [LayerInfo {
            active: true,
            ..Default::default()
        }; 3],
    );
    (0..n)
        .map(|i| {
            let mut f = Forwarder::new(ForwarderConfig::new(codec, (i * 97) as u16))
                .unwrap_or_else(|e| panic!("{e}"));
            f.update_layers(&layers, Instant::now());
            f
        })
        .collect()
}

fn run_case(c: &mut Criterion, case: &str, mk: fn() -> Stream, rewrite: bool) {
    let mut group = c.benchmark_group(case);
    for subs in SUBSCRIBERS {
        group.throughput(Throughput::Elements(subs as u64));
        group.bench_with_input(BenchmarkId::from_parameter(subs), &subs, |b, &subs| {
            let mut stream = mk();
            let mut fwds = forwarders(stream.codec, subs);
            let mut buf = Vec::with_capacity(1500);
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let (idx, seq, ts, marker, arrival) = stream.next();
                    let payload = &stream.payloads[idx];
                    let pkt = IncomingPacket {
                        layer: stream.layer,
                        seq,
                        timestamp: ts,
                        marker,
                        arrival,
                        payload,
                        info: PacketInfo::parse(stream.codec, payload),
                    };
                    for f in fwds.iter_mut() {
                        let decision = f.forward(black_box(&pkt));
                        if rewrite && let Decision::Forward(out) = decision {
                            let _ = out.write_payload(payload, &mut buf);
                            black_box(&buf);
                        }
                        black_box(decision);
                    }
                }
                let elapsed = start.elapsed();
                record(case, subs, elapsed, iters);
                elapsed
            });
        });
    }
    group.finish();
}

/// The figures mean nothing if the forwarders drop: check every packet of each stream forwards.
fn check_streams_forward() {
    for mk in [Stream::vp8 as fn() -> Stream, Stream::opus] {
        let mut stream = mk();
        let mut f = forwarders(stream.codec, 1).remove(0);
        for _ in 0..1000 {
            let (idx, seq, ts, marker, arrival) = stream.next();
            let payload = &stream.payloads[idx];
            let pkt = IncomingPacket {
                layer: stream.layer,
                seq,
                timestamp: ts,
                marker,
                arrival,
                payload,
                info: PacketInfo::parse(stream.codec, payload),
            };
            let decision = f.forward(&pkt);
            assert!(
                matches!(decision, Decision::Forward(_)),
                "{:?} dropped: {decision:?}",
                stream.codec
            );
        }
    }
}

fn main() {
    check_streams_forward();
    let mut c = Criterion::default().configure_from_args();
    run_case(&mut c, "vp8_patch", Stream::vp8, false);
    run_case(&mut c, "vp8_rewrite", Stream::vp8, true);
    run_case(&mut c, "opus", Stream::opus, false);
    c.final_summary();

    let totals = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    println!("\nns per packet per subscriber (parse once + forward per subscriber):");
    println!("{:<12} {:>11} {:>10}", "case", "subscribers", "ns");
    for (case, subs, elapsed, ops) in totals.iter() {
        let ns = elapsed.as_nanos() as f64 / (*ops).max(1) as f64;
        println!("{case:<12} {subs:>11} {ns:>10.1}");
    }
}
