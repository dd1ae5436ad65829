//! CPU time of a process from `/proc/<pid>/stat` (Linux), to put the server's cost beside the
//! traffic it carried.

use std::time::{Duration, Instant};

/// Linux reports `utime`/`stime` in clock ticks of `USER_HZ`, which is 100 on every mainstream
/// architecture (the kernel ABI fixes it, whatever `CONFIG_HZ` is).
const USER_HZ: u64 = 100;

/// User + system CPU time of `pid` (`"self"` for this process) so far.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// CPU used by a process between two readings, as a share of one core.
#[derive(Debug, Clone)]
pub struct CpuMeter {
    pid: String,
    start: Option<(Instant, Duration)>,
}

impl CpuMeter {
    pub fn new(pid: impl Into<String>) -> Self {
        let pid = pid.into();
        let start = cpu_time(&pid).map(|t| (Instant::now(), t));
        Self { pid, start }
    }

    /// Percent of one core since the meter started (200 = two cores busy), or `None` when the
    /// process cannot be read.
    pub fn percent(&self) -> Option<f64> {
        let (at, before) = self.start?;
        let now = cpu_time(&self.pid)?;
        let wall = at.elapsed().as_secs_f64();
        (wall > 0.0).then(|| (now.saturating_sub(before)).as_secs_f64() / wall * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_a_name_with_spaces_and_parentheses() {
        let line = "4242 (onair (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0";
        assert_eq!(parse_stat(line), Some(Duration::from_millis(3000)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_can_be_metered() {
        assert!(cpu_time("self").is_some());
        assert!(CpuMeter::new("self").percent().is_some());
        assert_eq!(CpuMeter::new("0").percent(), None, "pid 0 has no stat file");
    }
}
