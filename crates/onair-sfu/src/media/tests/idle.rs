//! What the engine's loop costs per iteration, apart from the work that is due: with many
//! connected participants, the shell asks `poll_timeout` before every wait (so once per datagram
//! and per signal message) and calls `handle_timeout` whenever its sleep ends. Neither should
//! grow with the number of participants when only a few are due. Run with
//! `cargo test -p onair-sfu --release --lib idle_loop_cost -- --ignored --nocapture`.

use super::*;

#[test]
#[ignore = "a measurement, not a check"]
fn idle_loop_cost() {
    for peers in [20, 200] {
        let mut net = Net::new();
        net.engine.bwe = false;
        // People arrive over time, so their peers' timers are not in lockstep.
        for i in 0..peers {
            let c = net.join(&format!("idle-{i}"), false);
            net.publish(c, None);
            net.run(Duration::from_millis(7));
        }
        net.run(Duration::from_secs(1));
        assert!(
            net.clients.iter().all(|c| c.publisher.is_connected()),
            "every idle participant connects"
        );
        let now = net.now;
        let calls = 20_000u32;
        let started = Instant::now();
        let mut next = now;
        for _ in 0..calls {
            next = next.min(net.engine.poll_timeout(now));
        }
        let poll = started.elapsed();
        // A wake-up with nothing due (another peer's deadline already handled).
        let started = Instant::now();
        for _ in 0..calls {
            net.engine.handle_timeout(now);
            while net.engine.poll_output().is_some() {}
        }
        let wake = started.elapsed();
        assert!(next >= now);
        println!(
            "{peers:>4} connected participants: poll_timeout {:.2} us, handle_timeout with nothing due {:.2} us",
            poll.as_secs_f64() * 1e6 / f64::from(calls),
            wake.as_secs_f64() * 1e6 / f64::from(calls),
        );
    }
}
