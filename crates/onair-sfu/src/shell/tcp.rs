//! ICE-TCP: RFC 4571 framing (a 2-byte length before each packet) on a TCP listener.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::run::Command;

/// Frames queued per connection toward the client; when full, frames are dropped (as UDP would).
const TCP_OUT_CAPACITY: usize = 256;

/// A connection's lifecycle and frames, sent to the run loop.
#[derive(Debug)]
pub(crate) enum TcpEvent {
    Opened {
        addr: SocketAddr,
        tx: mpsc::Sender<Vec<u8>>,
    },
    Frame {
        addr: SocketAddr,
        bytes: Vec<u8>,
    },
    Closed {
        addr: SocketAddr,
    },
}

pub(super) async fn accept_loop(listener: TcpListener, commands: mpsc::Sender<Command>) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                tokio::spawn(connection(stream, addr, commands.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ICE-TCP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: TcpStream, addr: SocketAddr, commands: mpsc::Sender<Command>) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(TCP_OUT_CAPACITY);
    if commands
        .send(Command::Tcp(TcpEvent::Opened { addr, tx }))
        .await
        .is_err()
    {
        return;
    }
    let write = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            let Ok(len) = u16::try_from(frame.len()) else {
                continue;
            };
            if writer.write_all(&len.to_be_bytes()).await.is_err()
                || writer.write_all(&frame).await.is_err()
            {
                break;
            }
        }
    });
    let mut len = [0u8; 2];
    loop {
        if reader.read_exact(&mut len).await.is_err() {
            break;
        }
        let mut bytes = vec![0u8; u16::from_be_bytes(len) as usize];
        if reader.read_exact(&mut bytes).await.is_err() {
            break;
        }
        if commands
            .send(Command::Tcp(TcpEvent::Frame { addr, bytes }))
            .await
            .is_err()
        {
            break;
        }
    }
    write.abort();
    let _ = commands.send(Command::Tcp(TcpEvent::Closed { addr })).await;
}
