//! `MediaServer`: binds the sockets and runs the engine's loop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use livekit_protocol as proto;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::admin::{AdminCommand, ServerHandle};
use super::signal::{self, SignalState};
use super::tcp::{self, TcpEvent};
use crate::auth::{Authenticator, JoinGrant};
use crate::config::SfuConfig;
use crate::control::RoomApi;
use crate::control::webhooks::Bridge;
use crate::ids::ParticipantSid;
use crate::media::{Endpoints, Engine, EngineOutput};
use crate::revocation::Revocations;
use crate::room::{JoinError, JoinOptions, ResumeError, RoomEvent, TokenSigner};

/// Capacity of the command channel into the run loop. When full, WebSocket readers and TCP
/// readers wait (backpressure on that client's socket); nothing is dropped.
const COMMAND_CAPACITY: usize = 4096;
/// Capacity of each session's outbound queue. When full, the client is too slow to follow the
/// room: the loop disconnects it rather than block everyone.
pub(super) const OUTBOUND_CAPACITY: usize = 512;
/// Capacity of the room-event broadcast. A lagging subscriber loses the oldest events and is
/// told how many (`RecvError::Lagged`).
const EVENT_CAPACITY: usize = 1024;

/// Starting or talking to the media server failed.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    /// A socket could not be bound.
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        /// UDP or TCP.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// No DTLS certificate could be generated.
    #[error(transparent)]
    Cert(#[from] crate::media::CertError),
    /// The server has stopped.
    #[error("media server stopped")]
    Stopped,
    /// The webhook URLs or keys are unusable.
    #[error(transparent)]
    Webhooks(#[from] onair_control::webhook::WebhookConfigError),
}

/// One WebSocket connection of a session (a resume gives the session a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnId(pub u64);

/// What the run loop is asked to do.
#[derive(Debug)]
pub(super) enum Command {
    Join {
        grant: Box<JoinGrant>,
        /// The verified token, re-issued by token refresh.
        claims: Box<livekit_api::access_token::Claims>,
        opts: JoinOptions,
        conn: ConnId,
        outbound: mpsc::Sender<Outbound>,
        reply: oneshot::Sender<Result<ParticipantSid, JoinError>>,
    },
    /// `reconnect=1`: attach this connection to an existing session.
    Resume {
        sid: ParticipantSid,
        grant: Box<JoinGrant>,
        reason: proto::ReconnectReason,
        conn: ConnId,
        outbound: mpsc::Sender<Outbound>,
        reply: oneshot::Sender<Result<(), ResumeError>>,
    },
    /// A request from connection `conn`; ignored when that connection was replaced.
    Signal {
        sid: ParticipantSid,
        conn: ConnId,
        message: Box<proto::signal_request::Message>,
    },
    /// Connection `conn` closed; ignored when it was replaced already.
    Disconnected {
        sid: ParticipantSid,
        conn: ConnId,
    },
    Tcp(TcpEvent),
    Admin(AdminCommand),
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// What a signal session is asked to send.
#[derive(Debug)]
pub(super) enum Outbound {
    Message(Box<proto::signal_response::Message>),
    Close,
}

/// The running media server.
#[derive(Debug)]
pub struct MediaServer {
    commands: mpsc::Sender<Command>,
    auth: Arc<Authenticator>,
    events: broadcast::Sender<RoomEvent>,
    /// Tokens RemoveParticipant revoked: written through the handle, read by `auth`.
    revocations: Arc<Revocations>,
    /// RoomService's key pair (the one tokens are signed with) and default room rules.
    api_keys: onair_control::ApiKeys,
    rooms: crate::config::RoomDefaults,
    webhooks: Option<Bridge>,
    udp_addr: SocketAddr,
    tcp_addr: Option<SocketAddr>,
    run: JoinHandle<()>,
    tcp_accept: Option<JoinHandle<()>>,
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl MediaServer {
    /// Binds the UDP (and ICE-TCP) sockets and starts the run loop. Must be called from within
    /// a tokio runtime (the loop and the ICE-TCP acceptor are spawned on it).
    pub fn start(config: SfuConfig) -> Result<MediaServer, SfuError> {
        let udp_bind = SocketAddr::new(config.bind_ip, config.udp_port);
        let bind_err = |what, addr| move |source| SfuError::Bind { what, addr, source };
        let udp = std::net::UdpSocket::bind(udp_bind)
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .and_then(UdpSocket::from_std)
            .map_err(bind_err("UDP", udp_bind))?;
        enlarge_buffers(&udp);
        let udp_addr = udp.local_addr().map_err(bind_err("UDP", udp_bind))?;
        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (tcp_addr, tcp_accept) = match config.tcp_port {
            Some(port) => {
                let bind = SocketAddr::new(config.bind_ip, port);
                let listener = std::net::TcpListener::bind(bind)
                    .and_then(|s| s.set_nonblocking(true).map(|()| s))
                    .and_then(TcpListener::from_std)
                    .map_err(bind_err("TCP", bind))?;
                let addr = listener.local_addr().map_err(bind_err("TCP", bind))?;
                (
                    Some(addr),
                    Some(tokio::spawn(tcp::accept_loop(listener, commands.clone()))),
                )
            }
            None => (None, None),
        };
        let endpoints = Endpoints {
            udp: SocketAddr::new(config.advertise_ip, udp_addr.port()),
            tcp: tcp_addr.map(|a| SocketAddr::new(config.advertise_ip, a.port())),
        };
        let mut engine = Engine::new(
            endpoints,
            config.rooms,
            config.auto_create_rooms,
            Instant::now(),
            unix_ms(),
        )?;
        engine.set_token_signer(TokenSigner::new(
            &config.api_key,
            &config.api_secret,
            config.token_refresh,
        ));
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        // Subscribed before the loop starts, so the first room's events are not missed.
        let webhooks = if config.webhook_urls.is_empty() {
            None
        } else {
            let hooks = onair_control::WebhookConfig::new(
                config.webhook_urls.clone(),
                &config.api_key,
                &config.api_secret,
            );
            let sender = onair_control::WebhookSender::start(hooks)?;
            Some(Bridge::start(events.subscribe(), sender))
        };
        let run = tokio::spawn(run_loop(engine, udp, command_rx, events.clone()));
        tracing::info!(udp = %udp_addr, tcp = ?tcp_addr, advertise = %config.advertise_ip, "media server started");
        let revocations = Arc::new(Revocations::default());
        Ok(MediaServer {
            commands,
            auth: Arc::new(
                Authenticator::new(&config.api_key, &config.api_secret)
                    .with_revocations(revocations.clone()),
            ),
            events,
            revocations,
            api_keys: onair_control::ApiKeys::single(&config.api_key, &config.api_secret),
            rooms: config.rooms,
            webhooks,
            udp_addr,
            tcp_addr,
            run,
            tcp_accept,
        })
    }

    /// The signalling routes: `/rtc`, `/rtc/validate`, and the single-PC fallbacks `/rtc/v1`,
    /// `/rtc/v1/validate` (404, so clients use dual-PC `/rtc`); and LiveKit's RoomService,
    /// `/twirp/livekit.RoomService/*`, authenticated with the same key pair.
    pub fn router(&self) -> Router {
        let rooms = RoomApi::new(self.handle(), self.rooms);
        signal::router(SignalState {
            auth: self.auth.clone(),
            commands: self.commands.clone(),
        })
        .merge(onair_control::router(rooms, self.api_keys.clone()))
    }

    /// The bound UDP media address.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// The bound ICE-TCP address, if enabled.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// A cloneable handle for the admin API (RoomService) and room events (webhooks).
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            commands: self.commands.clone(),
            events: self.events.clone(),
            revocations: self.revocations.clone(),
        }
    }

    /// Sends every participant a leave, closes their peers, and stops; then delivers the
    /// webhooks still queued (room_finished, participant_left…) for at most a few seconds.
    pub async fn shutdown(self) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Shutdown { done }).await.is_ok() {
            let _ = wait.await;
        }
        if let Some(t) = self.tcp_accept {
            t.abort();
        }
        let _ = self.run.await;
        if let Some(webhooks) = self.webhooks {
            webhooks.shutdown().await;
        }
    }
}

/// The connection a session's messages currently go to.
struct Route {
    conn: ConnId,
    tx: mpsc::Sender<Outbound>,
}

/// Sessions and ICE-TCP connections the loop can write to.
#[derive(Default)]
struct Routes {
    sessions: HashMap<ParticipantSid, Route>,
    tcp: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
}

async fn run_loop(
    mut engine: Engine,
    udp: UdpSocket,
    mut commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<RoomEvent>,
) {
    let mut routes = Routes::default();
    let mut buf = vec![0u8; 2048];
    let mut shutdown: Option<oneshot::Sender<()>> = None;
    loop {
        let deadline = engine.poll_timeout(Instant::now());
        tokio::select! {
            received = udp.recv_from(&mut buf) => {
                if let Ok((n, source)) = received {
                    engine.receive(Instant::now(), str0m::net::Protocol::Udp, source, &buf[..n]);
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { break };
                handle_command(&mut engine, &mut routes, command, &mut shutdown);
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                engine.handle_timeout(Instant::now());
            }
        }
        flush(&mut engine, &udp, &mut routes, &events);
        if let Some(done) = shutdown.take() {
            // Let the leaves and closes reach the sessions before stopping.
            for route in routes.sessions.values() {
                let _ = route.tx.try_send(Outbound::Close);
            }
            let _ = done.send(());
            break;
        }
    }
}

fn handle_command(
    engine: &mut Engine,
    routes: &mut Routes,
    command: Command,
    shutdown: &mut Option<oneshot::Sender<()>>,
) {
    let now = Instant::now();
    match command {
        Command::Join {
            grant,
            claims,
            opts,
            conn,
            outbound,
            reply,
        } => {
            let result = engine.join(now, *grant, opts);
            if let Ok(sid) = &result {
                routes
                    .sessions
                    .insert(sid.clone(), Route { conn, tx: outbound });
                engine.keep_token(now, sid, *claims);
            }
            let _ = reply.send(result);
        }
        Command::Resume {
            sid,
            grant,
            reason,
            conn,
            outbound,
            reply,
        } => {
            let result = engine.resume(now, &sid, &grant, reason);
            if result.is_ok() {
                // A connection still open for the session is replaced: dropping its sender
                // closes it, and its own close is then ignored (another conn id).
                routes.sessions.insert(sid, Route { conn, tx: outbound });
            }
            let _ = reply.send(result);
        }
        Command::Signal { sid, conn, message } => {
            if routes.sessions.get(&sid).is_some_and(|r| r.conn == conn) {
                engine.signal(now, &sid, *message);
            }
        }
        Command::Disconnected { sid, conn } => {
            if routes.sessions.get(&sid).is_some_and(|r| r.conn == conn) {
                routes.sessions.remove(&sid);
                engine.disconnected(now, &sid);
            }
        }
        Command::Tcp(TcpEvent::Opened { addr, tx }) => {
            routes.tcp.insert(addr, tx);
        }
        Command::Tcp(TcpEvent::Frame { addr, bytes }) => {
            engine.receive(now, str0m::net::Protocol::Tcp, addr, &bytes)
        }
        Command::Tcp(TcpEvent::Closed { addr }) => {
            routes.tcp.remove(&addr);
        }
        Command::Admin(admin) => admin.apply(engine, now),
        Command::Shutdown { done } => {
            engine.shutdown(now);
            *shutdown = Some(done);
        }
    }
}

/// What the media socket asks the kernel for, each way. One publisher's keyframe fans out as a
/// burst of (packets × subscribers) datagrams in a single flush, and the default buffers
/// (~208 KiB, about 170 full-size packets) drop most of it at a few hundred subscribers. The
/// kernel caps the request at `net.core.wmem_max` / `rmem_max` (raise them for big rooms).
const MEDIA_SOCKET_BUFFER: usize = 4 << 20;

fn enlarge_buffers(udp: &UdpSocket) {
    let sock = socket2::SockRef::from(udp);
    if let Err(e) = sock.set_send_buffer_size(MEDIA_SOCKET_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the media socket's send buffer");
    }
    if let Err(e) = sock.set_recv_buffer_size(MEDIA_SOCKET_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the media socket's receive buffer");
    }
    // Linux reports twice what it grants (bookkeeping included); less than asked means the
    // kernel's cap (`net.core.wmem_max` / `rmem_max`) is lower.
    let (send, recv) = (sock.send_buffer_size(), sock.recv_buffer_size());
    if send.as_ref().is_ok_and(|&n| n < MEDIA_SOCKET_BUFFER)
        || recv.as_ref().is_ok_and(|&n| n < MEDIA_SOCKET_BUFFER)
    {
        tracing::warn!(
            ?send,
            ?recv,
            wanted = MEDIA_SOCKET_BUFFER,
            "media socket buffers are capped by the kernel; raise net.core.wmem_max and \
             net.core.rmem_max for rooms with many viewers"
        );
    }
}

/// Sends one datagram now. A full send buffer drops it (UDP semantics; NACK/RTX may recover
/// it), counted as overload. The send goes straight to the kernel rather than through tokio's
/// readiness flag: after one `WouldBlock` that flag would refuse every later datagram of the
/// same burst without trying, although the kernel may have room again.
fn send_datagram(udp: &UdpSocket, contents: &[u8], to: SocketAddr) {
    match socket2::SockRef::from(udp).send_to(contents, &to.into()) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            metrics::counter!("onair_media_udp_send_dropped_total").increment(1);
        }
        Err(e) => tracing::debug!(error = %e, %to, "datagram not sent"),
    }
}

fn flush(
    engine: &mut Engine,
    udp: &UdpSocket,
    routes: &mut Routes,
    events: &broadcast::Sender<RoomEvent>,
) {
    loop {
        let mut too_slow = Vec::new();
        while let Some(out) = engine.poll_output() {
            match out {
                EngineOutput::Transmit(t) => match t.proto {
                    str0m::net::Protocol::Udp => {
                        send_datagram(udp, &t.contents, t.destination);
                    }
                    _ => {
                        if let Some(tx) = routes.tcp.get(&t.destination) {
                            let _ = tx.try_send(t.contents.into());
                        }
                    }
                },
                EngineOutput::Signal(sid, message) => {
                    if let Some(route) = routes.sessions.get(&sid)
                        && route.tx.try_send(Outbound::Message(message)).is_err()
                    {
                        tracing::warn!(participant = %sid, "signal queue full; disconnecting");
                        too_slow.push(sid);
                    }
                }
                EngineOutput::Close(sid) => {
                    if let Some(route) = routes.sessions.remove(&sid) {
                        let _ = route.tx.try_send(Outbound::Close);
                    }
                }
                EngineOutput::Event(e) => {
                    let _ = events.send(*e);
                }
            }
        }
        if too_slow.is_empty() {
            return;
        }
        for sid in too_slow {
            routes.sessions.remove(&sid);
            engine.disconnected(Instant::now(), &sid);
        }
    }
}
