//! `onair-loadtest`: simulated publishers and subscribers against a LiveKit-protocol media
//! server, with a report of what it carried, how fast, and at what CPU cost.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use livekit_protocol::VideoQuality;
use onair_loadtest::cpu::CpuMeter;
use onair_loadtest::{Histogram, Load, LoadConfig};

/// Load-test a LiveKit-protocol media server (OnAir's embedded one, or LiveKit itself).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Server URL; `/rtc` is appended.
    #[arg(long, env = "LIVEKIT_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "LIVEKIT_API_KEY")]
    api_key: String,
    #[arg(long, env = "LIVEKIT_API_SECRET", hide_env_values = true)]
    api_secret: String,
    #[arg(long, default_value = "loadtest")]
    room: String,
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    #[arg(long, default_value_t = 10)]
    subscribers: usize,
    /// Video bitrate per publisher, kbit/s.
    #[arg(long, default_value_t = 1200)]
    video_kbps: u32,
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Publish video only.
    #[arg(long)]
    no_audio: bool,
    /// Publish one video layer instead of three simulcast layers (q, h, f).
    #[arg(long)]
    no_simulcast: bool,
    /// The layer subscribers ask for (UpdateTrackSettings); default: the server's choice.
    #[arg(long, value_parser = ["low", "medium", "high"])]
    quality: Option<String>,
    /// Clients started per second.
    #[arg(long, default_value_t = 20)]
    ramp: u32,
    /// Seconds measured once every subscriber receives media.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// The server's process id, to report its CPU use (Linux /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Address the clients' UDP sockets bind to.
    #[arg(long, default_value = "127.0.0.1")]
    bind_ip: IpAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = LoadConfig {
        room: args.room.clone(),
        publishers: args.publishers,
        video_kbps: args.video_kbps,
        fps: args.fps,
        audio: !args.no_audio,
        simulcast: !args.no_simulcast,
        quality: args.quality.as_deref().map(|q| match q {
            "low" => VideoQuality::Low,
            "medium" => VideoQuality::Medium,
            _ => VideoQuality::High,
        }),
        ramp_per_sec: args.ramp,
        bind_ip: args.bind_ip,
        ..LoadConfig::new(&args.url, &args.api_key, &args.api_secret, args.subscribers)
    };
    println!("machine: {}", machine());
    println!(
        "load: {} publisher(s) of VP8 {} kbit/s @ {} fps{}{}, {} subscriber(s) asking for {}, room {:?} at {}",
        args.publishers,
        args.video_kbps,
        args.fps,
        if args.no_simulcast {
            ""
        } else {
            " (simulcast q/h/f)"
        },
        if args.no_audio { "" } else { " + Opus" },
        args.subscribers,
        args.quality.as_deref().unwrap_or("the default layer"),
        args.room,
        args.url
    );

    let load = Load::start(config);
    let stats = load.stats();

    // Ramp up: until every client has joined and every subscriber receives media.
    let ramp_limit = Duration::from_secs(
        20 + (args.publishers + args.subscribers) as u64 / u64::from(args.ramp.max(1)),
    );
    let ramp_start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s = stats.snapshot();
        println!(
            "ramp {:>3.0}s: publishers {}/{}, subscribers {}/{}, receiving {}, failures {}",
            ramp_start.elapsed().as_secs_f64(),
            s.publishers_joined,
            args.publishers,
            s.subscribers_joined,
            args.subscribers,
            s.subscribers_receiving,
            s.failures
        );
        if s.subscribers_receiving as usize >= args.subscribers
            && s.publishers_joined as usize >= args.publishers
        {
            break;
        }
        if ramp_start.elapsed() > ramp_limit {
            let errors = load.stop().await;
            for e in errors.iter().take(5) {
                eprintln!("client error: {e}");
            }
            bail!("not every subscriber received media within {ramp_limit:?}");
        }
    }

    // Measure.
    stats.measuring.store(true, Relaxed);
    let server = args.server_pid.map(|pid| CpuMeter::new(pid.to_string()));
    let tool = CpuMeter::new("self");
    let start = stats.snapshot();
    let window_start = Instant::now();
    let mut previous = (start, Instant::now());
    for _ in 0..args.duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = (stats.snapshot(), Instant::now());
        let secs = now.1.duration_since(previous.1).as_secs_f64();
        println!(
            "{:>4.0}s: received {:>7.1} Mbit/s {:>7.0} pkt/s, latency p50 {} p99 {}, failures {}",
            window_start.elapsed().as_secs_f64(),
            rate(now.0.received_bytes - previous.0.received_bytes, secs) * 8e-6,
            rate(now.0.received_packets - previous.0.received_packets, secs),
            ms(&stats.latency, 0.5),
            ms(&stats.latency, 0.99),
            now.0.failures
        );
        previous = now;
    }
    let end = stats.snapshot();
    let window = window_start.elapsed().as_secs_f64();
    let server_cpu = server.as_ref().and_then(CpuMeter::percent);
    let tool_cpu = tool.percent();
    stats.measuring.store(false, Relaxed);
    let errors = load.stop().await;
    // Sequence gaps are settled when each subscriber leaves.
    let lost = stats.snapshot().lost_packets;

    let received = end.received_packets - start.received_packets;
    let secs = window.max(f64::EPSILON);
    println!();
    println!("== result ({window:.0} s measured)");
    println!(
        "joined      publishers {}/{}, subscribers {}/{}, receiving {}, failures {}",
        end.publishers_joined,
        args.publishers,
        end.subscribers_joined,
        args.subscribers,
        end.subscribers_receiving,
        end.failures
    );
    println!(
        "join→media  p50 {}, p99 {} (token minted → first packet at a subscriber)",
        ms(&stats.join_to_media, 0.5),
        ms(&stats.join_to_media, 0.99)
    );
    println!(
        "sent        {:.0} pkt/s, {:.2} Mbit/s",
        rate(end.sent_packets - start.sent_packets, secs),
        rate(end.sent_bytes - start.sent_bytes, secs) * 8e-6
    );
    println!(
        "received    {:.0} pkt/s, {:.1} Mbit/s across subscribers",
        rate(received, secs),
        rate(end.received_bytes - start.received_bytes, secs) * 8e-6
    );
    let total = end.received_packets + lost;
    println!(
        "loss        {:.3} % ({lost} of {total} packets never arrived, after NACK/RTX)",
        if total == 0 {
            0.0
        } else {
            lost as f64 * 100.0 / total as f64
        }
    );
    println!(
        "latency     p50 {}, p95 {}, p99 {}, max {} (publisher send → subscriber receive)",
        ms(&stats.latency, 0.5),
        ms(&stats.latency, 0.95),
        ms(&stats.latency, 0.99),
        format_us(stats.latency.max_us())
    );
    println!(
        "keyframes   {} requested by the server",
        end.keyframe_requests
    );
    let pct = |p: Option<f64>| p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} %"));
    println!(
        "CPU         server {} of one core{}, load tool {}",
        pct(server_cpu),
        args.server_pid
            .map_or_else(String::new, |p| format!(" (pid {p})")),
        pct(tool_cpu)
    );
    if let (Some(cpu), true) = (server_cpu, received > 0) {
        println!(
            "cost        {:.1} µs of server CPU per packet delivered",
            cpu / 100.0 * secs * 1e6 / received as f64
        );
    }
    for e in errors.iter().take(5) {
        eprintln!("client error: {e}");
    }
    if !errors.is_empty() {
        bail!("{} client(s) failed", errors.len());
    }
    Ok(())
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs
}

fn format_us(us: u64) -> String {
    if us >= 10_000 {
        format!("{:.0} ms", us as f64 / 1000.0)
    } else {
        format!("{:.1} ms", us as f64 / 1000.0)
    }
}

fn ms(h: &Histogram, q: f64) -> String {
    h.quantile_us(q).map_or_else(|| "-".to_owned(), format_us)
}

/// CPU count and model, so figures travel with the machine that produced them.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {model}")
}
