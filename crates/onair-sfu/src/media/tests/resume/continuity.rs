//! What carries over a resume besides media: refreshed tokens, and the reliable data sequence
//! the client resends after.

use livekit_api::access_token::{Claims, TokenVerifier, VideoGrants};

use super::*;
use crate::config::TokenRefresh;
use crate::room::TokenSigner;

const KEY: &str = "key";
const SECRET: &str = "a-secret-long-enough-for-hs256-signing";

#[test]
fn refreshed_tokens_are_sent_at_start_and_after_a_resume_and_verify() {
    let mut s = studio();
    let alice = s.alice;
    s.net
        .engine
        .set_token_signer(TokenSigner::new(KEY, SECRET, TokenRefresh::default()));
    let now_s = (unix_ms_now() / 1000) as usize;
    let original = Claims {
        exp: now_s + 60,
        nbf: now_s,
        iss: KEY.into(),
        sub: "alice".into(),
        video: VideoGrants {
            room_join: true,
            room: "studio".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let sid = s.sid(alice);
    s.net.engine.keep_token(s.net.now, &sid, original.clone());
    s.net.settle();
    let verifier = TokenVerifier::with_api_key(KEY, SECRET);
    let tokens = |msgs: &[Msg]| -> Vec<Claims> {
        msgs.iter()
            .filter_map(|m| match m {
                Msg::RefreshToken(t) => Some(verifier.verify(t).unwrap()),
                _ => None,
            })
            .collect()
    };
    let [first] = &tokens(&s.net.clients[alice].signals)[..] else {
        panic!("one refreshed token at start")
    };
    assert_eq!(first.video, original.video);
    assert!(first.exp > original.exp);
    s.drop_signal(alice);
    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected)
        .unwrap();
    assert_eq!(
        tokens(&got).len(),
        1,
        "a resumed session gets a fresh token"
    );
}

#[test]
fn the_reconnect_response_names_the_last_reliable_data_packet_received() {
    let mut s = studio();
    let alice = s.alice;
    let channel = s.net.clients[alice]
        .reliable
        .expect("alice's _reliable channel opened");
    for sequence in [1, 2, 3] {
        let packet = proto::DataPacket {
            sequence,
            value: Some(proto::data_packet::Value::User(proto::UserPacket {
                payload: b"hi".to_vec(),
                ..Default::default()
            })),
            ..Default::default()
        };
        let client = &mut s.net.clients[alice];
        client
            .publisher
            .channel(channel)
            .unwrap()
            .write(true, &packet.encode_to_vec())
            .unwrap();
        s.net.run(Duration::from_millis(50));
    }
    assert_eq!(s.net.clients[s.bob].data.len(), 3);
    s.drop_signal(alice);
    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrSubscriberFailed)
        .unwrap();
    let Some(Msg::Reconnect(r)) = got.first() else {
        panic!("no reconnect first")
    };
    assert_eq!(
        r.last_message_seq, 3,
        "the client resends what came after it"
    );
}
