//! The bridge from the run loop's room events to signed webhooks.
//!
//! The loop publishes [`RoomEvent`]s on a broadcast channel without waiting; this task turns
//! each into LiveKit's webhook event and hands it to [`WebhookSender::send`], which only
//! enqueues. Nothing here can slow the loop: if this task fell behind by more than the
//! channel's capacity, the oldest events would be lost and counted as dropped
//! (`onair_webhooks_dropped_total{reason="lagged"}`).

use std::collections::HashMap;
use std::time::Duration;

use livekit_protocol as proto;
use onair_control::{WebhookSender, webhook};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

use crate::room::RoomEvent;

/// How long a shutdown waits for queued webhooks to be delivered.
pub(crate) const FLUSH_DEADLINE: Duration = Duration::from_secs(5);

/// The running bridge: stop it with [`Bridge::shutdown`].
#[derive(Debug)]
pub(crate) struct Bridge {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    sender: WebhookSender,
}

impl Bridge {
    /// Spawns the task forwarding `events` to `sender`.
    pub(crate) fn start(events: broadcast::Receiver<RoomEvent>, sender: WebhookSender) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(forward(events, sender.clone(), stopped));
        Self { stop, task, sender }
    }

    /// Forwards the events already published (call after the loop stopped), then flushes the
    /// webhook queues until [`FLUSH_DEADLINE`].
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        let report = self.sender.shutdown(FLUSH_DEADLINE).await;
        tracing::debug!(?report, "webhooks flushed");
    }
}

async fn forward(
    mut events: broadcast::Receiver<RoomEvent>,
    sender: WebhookSender,
    mut stop: oneshot::Receiver<()>,
) {
    let mut rooms = Rooms::default();
    loop {
        let received = tokio::select! {
            biased;
            received = events.recv() => received,
            _ = &mut stop => break,
        };
        match received {
            Ok(event) => rooms.send(&sender, event),
            Err(broadcast::error::RecvError::Lagged(lost)) => lagged(lost),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
    // Stopping: what the loop published before it stopped still goes out.
    loop {
        match events.try_recv() {
            Ok(event) => rooms.send(&sender, event),
            Err(broadcast::error::TryRecvError::Lagged(lost)) => lagged(lost),
            Err(_) => return,
        }
    }
}

fn lagged(lost: u64) {
    metrics::counter!("onair_webhooks_dropped_total", "reason" => "lagged").increment(lost);
    tracing::warn!(lost, "webhook bridge fell behind; room events lost");
}

/// The open rooms as announced when they started, kept up to date from room updates (settings,
/// metadata) and from joins and leaves (the participant count), so participant and track events
/// carry their room as it is now, as LiveKit's do.
#[derive(Default)]
struct Rooms(HashMap<String, proto::Room>);

impl Rooms {
    fn room(&self, name: &crate::ids::RoomName) -> proto::Room {
        self.0
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| proto::Room {
                name: name.to_string(),
                ..Default::default()
            })
    }

    fn count(&mut self, name: &crate::ids::RoomName, change: impl FnOnce(u32) -> u32) {
        if let Some(room) = self.0.get_mut(name.as_str()) {
            room.num_participants = change(room.num_participants);
        }
    }

    fn send(&mut self, sender: &WebhookSender, event: RoomEvent) {
        let hook = match event {
            RoomEvent::RoomStarted { room } => {
                self.0.insert(room.name.clone(), room.clone());
                webhook::room_started(room)
            }
            RoomEvent::RoomUpdated { mut room } => {
                // The count is kept here from the events this task has seen.
                if let Some(known) = self.0.get(&room.name) {
                    room.num_participants = known.num_participants;
                }
                self.0.insert(room.name.clone(), room);
                return;
            }
            RoomEvent::RoomFinished { room } => {
                self.0.remove(&room.name);
                webhook::room_finished(room)
            }
            RoomEvent::ParticipantJoined { room, participant } => {
                self.count(&room, |n| n.saturating_add(1));
                webhook::participant_joined(self.room(&room), participant)
            }
            RoomEvent::ParticipantLeft { room, participant } => {
                self.count(&room, |n| n.saturating_sub(1));
                webhook::participant_left(self.room(&room), participant)
            }
            RoomEvent::TrackPublished {
                room,
                participant,
                track,
            } => webhook::track_published(self.room(&room), &participant, track),
            RoomEvent::TrackUnpublished {
                room,
                participant,
                track,
            } => webhook::track_unpublished(self.room(&room), &participant, track),
        };
        if let Err(err) = sender.send(&hook) {
            tracing::warn!(%err, event = %hook.event, "webhook not queued");
        }
    }
}
