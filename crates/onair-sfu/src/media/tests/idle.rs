//! What the engine's loop costs when nothing happens: many connected, idle participants, the
//! engine driven by its own `poll_timeout` as the shell drives it. Run with
//! `cargo test -p onair-sfu --release --lib idle_loop_cost -- --ignored --nocapture`.

use super::*;

#[test]
#[ignore = "a measurement, not a check"]
fn idle_loop_cost() {
    for peers in [20, 200] {
        let mut net = Net::new();
        for i in 0..peers {
            let c = net.join(&format!("idle-{i}"), false);
            net.publish(c, None);
        }
        net.run(Duration::from_secs(2));
        assert!(
            net.clients.iter().all(|c| c.publisher.is_connected()),
            "every idle participant connects"
        );
        // One simulated second of the loop with no input: wake at each deadline, handle it.
        let mut now = net.now;
        let end = now + Duration::from_secs(1);
        let (mut wakeups, mut spent) = (0u32, Duration::ZERO);
        while now < end {
            let started = Instant::now();
            let deadline = net.engine.poll_timeout(now);
            now = deadline.max(now + Duration::from_micros(50));
            net.engine.handle_timeout(now);
            while net.engine.poll_output().is_some() {}
            spent += started.elapsed();
            wakeups += 1;
        }
        println!(
            "{peers:>4} idle participants: {wakeups} wake-ups in 1 s, {:.1} us per wake-up, {:.2} ms of engine time per second",
            spent.as_secs_f64() * 1e6 / f64::from(wakeups),
            spent.as_secs_f64() * 1e3,
        );
    }
}
