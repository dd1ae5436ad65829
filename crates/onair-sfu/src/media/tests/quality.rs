//! Connection quality from real RTCP between str0m peers: a clean link reads EXCELLENT to the
//! publisher and to its viewer; loss on the publisher's uplink turns it POOR for both, while
//! the viewer's own quality stays its own business.

use super::link::Loss;
use super::*;

/// Every `ConnectionQualityUpdate` entry client `c` was sent: (about whom, level).
fn told(net: &Net, c: usize) -> Vec<(String, proto::ConnectionQuality)> {
    net.clients[c]
        .signals
        .iter()
        .filter_map(|m| match m {
            Msg::ConnectionQuality(u) => Some(u),
            _ => None,
        })
        .flat_map(|u| &u.updates)
        .map(|i| (i.participant_sid.clone(), i.quality()))
        .collect()
}

/// Video at 50 packets per second for `secs` seconds (a keyframe first).
fn stream(net: &mut Net, alice: usize, mid: Mid, first_seq: u64, secs: u64) -> u64 {
    let packets = secs * 50;
    for i in 0..packets {
        net.send_vp8(alice, mid, first_seq + i, i == 0);
        net.run(Duration::from_millis(20));
    }
    first_seq + packets
}

#[test]
fn quality_follows_loss_and_reaches_the_participant_and_the_publishers_room() {
    use proto::ConnectionQuality::{Excellent, Poor};
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let bob = net.join("bob", false);
    let mid = net.publish(alice, Some("cam")).unwrap();
    net.publish(bob, None);
    let (a, b) = (
        net.clients[alice].sid.to_string(),
        net.clients[bob].sid.to_string(),
    );

    let seq = stream(&mut net, alice, mid, 100, 5);
    assert_eq!(
        told(&net, alice),
        [(a.clone(), Excellent)],
        "alice hears only her own"
    );
    let to_bob = told(&net, bob);
    assert!(
        to_bob.contains(&(a.clone(), Excellent)) && to_bob.contains(&(b.clone(), Excellent)),
        "bob hears the publisher's quality and his own: {to_bob:?}"
    );
    let seq = stream(&mut net, alice, mid, seq, 4);
    assert_eq!(
        told(&net, bob).len(),
        to_bob.len(),
        "an unchanged quality is not repeated"
    );

    // Every fifth RTP datagram from alice's publisher PC is lost: 20 %.
    let uplink = net.clients[alice].addrs[0];
    net.uplink_loss.insert(uplink, Loss::every(5));
    stream(&mut net, alice, mid, seq, 6);
    assert_eq!(
        told(&net, alice).last(),
        Some(&(a.clone(), Poor)),
        "alice is told her uplink is poor"
    );
    let to_bob = told(&net, bob);
    assert!(
        to_bob.contains(&(a.clone(), Poor)),
        "bob is told the publisher's quality fell: {to_bob:?}"
    );
    assert!(
        !told(&net, alice).iter().any(|(who, _)| *who == b),
        "a viewer's quality is not sent to others"
    );
}
