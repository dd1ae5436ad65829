//! Who is in each room, kept from webhooks so viewer counts stay right under replays and
//! out-of-order delivery.
//!
//! Why not `+1`/`-1` per event: a replayed `participant_joined` would count twice and a
//! `participant_left` that overtakes its `participant_joined` would go negative. Instead each
//! room holds the set of viewer identities with the participant sid of their current connection,
//! and the sids that already left; a count is the size of the set. Joining twice is a no-op, a
//! late `joined` for a sid that already left is ignored, and a `left` for an older connection of
//! the same identity does not remove the newer one. The set lives in memory: after a restart (or
//! with several platform instances) it is rebuilt from the media server's `ListParticipants` by
//! the background reconciliation, which also corrects any drift.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Left sids remembered per room; beyond this the oldest knowledge is dropped (a late `joined`
/// older than thousands of departures is not a realistic reordering).
const MAX_DEPARTED: usize = 4096;

#[derive(Debug, Default)]
struct RoomPresence {
    /// Viewer identity → sid of its current connection.
    viewers: HashMap<String, String>,
    /// The creator's current connection, if in the room.
    creator: Option<String>,
    departed: HashSet<String>,
}

/// What a presence event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// The viewer set changed; the new count.
    Viewers(u32),
    /// The creator's current connection joined.
    CreatorJoined,
    /// The creator's current connection left.
    CreatorLeft,
    /// Nothing changed (replay, stale event).
    None,
}

#[derive(Debug, Default)]
pub(crate) struct Presence {
    rooms: Mutex<HashMap<String, RoomPresence>>,
}

impl Presence {
    fn with_room<T>(&self, room: &str, f: impl FnOnce(&mut RoomPresence) -> T) -> T {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        f(rooms.entry(room.to_owned()).or_default())
    }

    pub(crate) fn joined(&self, room: &str, identity: &str, sid: &str, is_creator: bool) -> Change {
        self.with_room(room, |r| {
            if r.departed.contains(sid) {
                return Change::None;
            }
            if is_creator {
                if r.creator.as_deref() == Some(sid) {
                    return Change::None;
                }
                r.creator = Some(sid.to_owned());
                return Change::CreatorJoined;
            }
            match r.viewers.insert(identity.to_owned(), sid.to_owned()) {
                Some(old) if old == sid => Change::None,
                _ => Change::Viewers(count(r)),
            }
        })
    }

    pub(crate) fn left(&self, room: &str, identity: &str, sid: &str, is_creator: bool) -> Change {
        self.with_room(room, |r| {
            if r.departed.len() >= MAX_DEPARTED {
                r.departed.clear();
            }
            if !r.departed.insert(sid.to_owned()) {
                return Change::None;
            }
            if is_creator {
                // A leave of an older connection does not make a reconnected creator absent.
                return match r.creator.as_deref() {
                    Some(current) if current != sid => Change::None,
                    _ => {
                        r.creator = None;
                        Change::CreatorLeft
                    }
                };
            }
            if r.viewers
                .get(identity)
                .is_some_and(|current| current == sid)
            {
                r.viewers.remove(identity);
                Change::Viewers(count(r))
            } else {
                Change::None
            }
        })
    }

    /// Replaces the room's picture with the media server's list (reconciliation). Returns the
    /// viewer count and whether the creator is present.
    pub(crate) fn replace(
        &self,
        room: &str,
        viewers: impl IntoIterator<Item = (String, String)>,
        creator: Option<String>,
    ) -> u32 {
        self.with_room(room, |r| {
            r.viewers = viewers.into_iter().collect();
            r.creator = creator;
            count(r)
        })
    }

    /// Whether `identity` is counted as a viewer of the room (a reload keeps its seat).
    pub(crate) fn has_viewer(&self, room: &str, identity: &str) -> bool {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .get(room)
            .is_some_and(|r| r.viewers.contains_key(identity))
    }

    pub(crate) fn viewers(&self, room: &str) -> u32 {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.get(room).map_or(0, count)
    }

    /// Drops a room's state (its stream ended).
    pub(crate) fn forget(&self, room: &str) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.remove(room);
    }
}

fn count(r: &RoomPresence) -> u32 {
    u32::try_from(r.viewers.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_and_reordering_do_not_skew_counts() {
        let p = Presence::default();
        assert_eq!(p.joined("r", "a", "PA_1", false), Change::Viewers(1));
        assert_eq!(
            p.joined("r", "a", "PA_1", false),
            Change::None,
            "replayed join"
        );
        assert_eq!(p.joined("r", "b", "PA_2", false), Change::Viewers(2));
        assert_eq!(p.left("r", "b", "PA_2", false), Change::Viewers(1));
        assert_eq!(
            p.left("r", "b", "PA_2", false),
            Change::None,
            "replayed leave"
        );
        // Leave overtakes join: the late join is ignored.
        assert_eq!(p.left("r", "c", "PA_3", false), Change::None);
        assert_eq!(p.joined("r", "c", "PA_3", false), Change::None);
        // Reconnect: the new connection's join, then the old one's leave.
        assert_eq!(p.joined("r", "a", "PA_4", false), Change::Viewers(1));
        assert_eq!(p.left("r", "a", "PA_1", false), Change::None);
        assert_eq!(p.viewers("r"), 1);
    }

    #[test]
    fn creator_presence_follows_the_current_connection() {
        let p = Presence::default();
        assert_eq!(p.joined("r", "c", "PA_1", true), Change::CreatorJoined);
        assert_eq!(p.joined("r", "c", "PA_2", true), Change::CreatorJoined);
        assert_eq!(
            p.left("r", "c", "PA_1", true),
            Change::None,
            "old connection"
        );
        assert_eq!(p.left("r", "c", "PA_2", true), Change::CreatorLeft);
        assert_eq!(p.viewers("r"), 0, "the creator is not a viewer");
    }
}
