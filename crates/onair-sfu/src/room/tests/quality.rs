//! Who is told about connection quality, and when: settled changes only; a viewer's own
//! quality to itself alone; a publisher's to its room, including whoever joins later and, when
//! it starts publishing, everyone already there.

use super::*;
use crate::room::LinkStats;

/// Every quality entry in the messages to `to`: (about whom, level).
fn qualities(out: &[RoomOutput], to: &ParticipantSid) -> Vec<(String, proto::ConnectionQuality)> {
    signals_to(out, to)
        .into_iter()
        .filter_map(|m| match m {
            Msg::ConnectionQuality(u) => Some(u.updates),
            _ => None,
        })
        .flatten()
        .map(|i| (i.participant_sid.clone(), i.quality()))
        .collect()
}

fn lossy(loss: f32) -> LinkStats {
    LinkStats {
        loss: Some(loss),
        rtt: Some(Duration::from_millis(20)),
    }
}

#[test]
fn quality_reaches_who_it_concerns_when_it_settles() {
    use proto::ConnectionQuality::{Excellent, Good};
    let now = Instant::now();
    let mut core = core(now);
    let alice = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let bob = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    drain(&mut core);
    let (a, b) = (alice.to_string(), bob.to_string());

    // Nothing measured yet: nothing said (not "excellent").
    core.set_connection_quality(&alice, LinkStats::default());
    assert!(qualities(&drain(&mut core), &alice).is_empty());

    // Nobody publishes yet: each hears only about itself, the first measurement at once, and
    // the same level is not repeated.
    core.set_connection_quality(&alice, lossy(0.0));
    core.set_connection_quality(&bob, lossy(0.0));
    core.set_connection_quality(&bob, lossy(0.01));
    let out = drain(&mut core);
    assert_eq!(qualities(&out, &alice), [(a.clone(), Excellent)]);
    assert_eq!(qualities(&out, &bob), [(b.clone(), Excellent)]);

    // Alice's first track tells the room her current quality; her second does not repeat it.
    core.add_track(&alice, video("cam")).unwrap();
    core.add_track(&alice, video("screen")).unwrap();
    let out = drain(&mut core);
    assert_eq!(qualities(&out, &bob), [(a.clone(), Excellent)]);
    assert!(qualities(&out, &alice).is_empty());

    // A new level is sent once two measurements in a row agree; a blip is not.
    core.set_connection_quality(&alice, lossy(0.06));
    core.set_connection_quality(&alice, lossy(0.0));
    core.set_connection_quality(&alice, lossy(0.06));
    assert!(qualities(&drain(&mut core), &bob).is_empty(), "no flapping");
    core.set_connection_quality(&alice, lossy(0.06));
    core.set_connection_quality(&bob, lossy(0.06));
    core.set_connection_quality(&bob, lossy(0.06));
    let out = drain(&mut core);
    // A publisher's change reaches everyone; a viewer's change only the viewer.
    assert_eq!(qualities(&out, &alice), [(a.clone(), Good)]);
    assert_eq!(
        qualities(&out, &bob),
        [(a.clone(), Good), (b.clone(), Good)]
    );

    // A newcomer learns the publisher's current quality with its own first measurement (by
    // then its client knows the publisher from the JoinResponse), never the viewer's.
    let carol = core
        .join(now, grant("studio", "carol"), JoinOptions::default())
        .unwrap();
    assert!(qualities(&drain(&mut core), &carol).is_empty());
    core.set_connection_quality(&carol, lossy(0.0));
    let c = carol.to_string();
    assert_eq!(
        qualities(&drain(&mut core), &carol),
        [(c, Excellent), (a.clone(), Good)]
    );
}
