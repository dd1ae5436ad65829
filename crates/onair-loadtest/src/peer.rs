//! One str0m peer connection of a load client, on its own UDP socket: binding, driving str0m
//! (transmit, events, timeouts) and what the signalling needs of it (candidates, payload types).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use str0m::format::Codec;
use str0m::media::Pt;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;

use crate::ClientError;

/// One str0m peer connection on its own socket.
pub(crate) struct Peer {
    pub(crate) rtc: Rtc,
    pub(crate) socket: UdpSocket,
    local: SocketAddr,
    pub(crate) next_timeout: Instant,
    pub(crate) buf: Vec<u8>,
}

/// Receive buffer per client socket (the kernel caps it at `net.core.rmem_max`).
const CLIENT_SOCKET_BUFFER: usize = 1 << 20;

impl Peer {
    pub(crate) async fn bind(ip: IpAddr) -> Result<Self, ClientError> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        // Hundreds of clients share the machine's cores with the server: a client scheduled
        // late must not lose what the server sent meanwhile, or the tool measures itself.
        socket2::SockRef::from(&socket).set_recv_buffer_size(CLIENT_SOCKET_BUFFER)?;
        let local = socket.local_addr()?;
        let now = Instant::now();
        let mut rtc = RtcConfig::new()
            .clear_codecs()
            .enable_vp8(true)
            .enable_opus(true, false)
            .set_rtp_mode(true)
            .build(now);
        let candidate =
            Candidate::host(local, "udp").map_err(|e| ClientError::Rtc(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        Ok(Self {
            rtc,
            socket,
            local,
            next_timeout: now,
            buf: vec![0; 2048],
        })
    }

    /// Sends what str0m wants sent and returns its events, until it asks for a timeout.
    pub(crate) fn drain(&mut self, events: &mut Vec<Event>) -> Result<(), ClientError> {
        loop {
            match self
                .rtc
                .poll_output()
                .map_err(|e| ClientError::Rtc(e.to_string()))?
            {
                Output::Timeout(at) => {
                    self.next_timeout = at;
                    return Ok(());
                }
                Output::Transmit(t) => {
                    // Loopback never blocks for long; a full buffer is loss, as on a real link.
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(e) => events.push(e),
            }
        }
    }

    pub(crate) fn receive(&mut self, n: usize, source: SocketAddr) -> Result<(), ClientError> {
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.local, &self.buf[..n]) else {
            return Ok(()); // not STUN/DTLS/RTP: ignore, as a browser would
        };
        self.rtc
            .handle_input(Input::Receive(Instant::now(), receive))
            .map_err(|e| ClientError::Rtc(e.to_string()))
    }

    pub(crate) fn timeout(&mut self) -> Result<(), ClientError> {
        self.rtc
            .handle_input(Input::Timeout(Instant::now()))
            .map_err(|e| ClientError::Rtc(e.to_string()))
    }

    pub(crate) fn add_remote_candidate(&mut self, line: &str) {
        if let Ok(c) = Candidate::from_sdp_string(line) {
            self.rtc.add_remote_candidate(c);
        }
    }

    pub(crate) fn pt(&self, codec: Codec) -> Option<Pt> {
        self.rtc
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
    }
}
