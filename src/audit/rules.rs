//! The guide's patterns and threat rules, on true sliding windows of
//! event time.
//!
//! A rule fires when `threshold` matching events of one key (a source
//! address, a user) fall within `window` seconds of each other: the first
//! and the last of them less than `window` apart. Events may arrive late
//! by up to `lateness` seconds and still count at their own time; older
//! ones are counted in [`Detector::too_late`] and otherwise ignored. An
//! alert is raised once per window: after it fires, the same rule and key
//! stay quiet until `window` seconds of event time have passed, while the
//! alert's count and last time are updated in place
//! ([`Detector::alerts`]).
//!
//! The rules, with the guide's numbers:
//!
//! | rule | events | key | threshold, window | severity |
//! |---|---|---|---|---|
//! | `brute_force` | `authentication_failed` | source address | 5 in 5 min | high |
//! | `brute_force_principal` | `authentication_failed` | user | 5 in 5 min | high |
//! | `data_exfiltration` | `data_access` | user | 100 in 10 min | critical |
//! | `privilege_escalation` | `permission_change` with `details.permission_level_increased` | user | 1 in 1 min | high |
//! | `unusual_access_time` | `data_access` before 06:00 or after 22:59 local | user | 1 in 1 h | medium |
//!
//! "Local" is UTC shifted by [`Config::utc_offset_minutes`]; there is no
//! time-zone database, so a zone with daylight saving time needs its
//! offset updated by the host.
//!
//! Memory: every [`Detector::SWEEP_EVERY`] events, the windows of keys
//! with no event inside their rule's window and lateness, and no alert
//! still quiet, are dropped, so keys seen once (a scan from many source
//! addresses) do not pile up; alerts raised are kept.

use std::collections::HashMap;

use serde::Serialize;

use super::{Event, Risk};

/// The detector's settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// How late an event may arrive and still count (default 5 min).
    pub lateness: u64,
    /// The offset of local time for business hours, in minutes east of
    /// UTC (default 0).
    pub utc_offset_minutes: i32,
}

impl Default for Config {
    fn default() -> Config {
        Config { lateness: 300, utc_offset_minutes: 0 }
    }
}

/// One rule.
#[derive(Clone, Copy, Debug)]
struct Rule {
    name: &'static str,
    threshold: usize,
    window: u64,
    severity: Risk,
}

const BRUTE_FORCE: Rule = Rule {
    name: "brute_force",
    threshold: 5,
    window: 300,
    severity: Risk::High,
};
const BRUTE_FORCE_PRINCIPAL: Rule = Rule {
    name: "brute_force_principal",
    threshold: 5,
    window: 300,
    severity: Risk::High,
};
const EXFILTRATION: Rule = Rule {
    name: "data_exfiltration",
    threshold: 100,
    window: 600,
    severity: Risk::Critical,
};
const ESCALATION: Rule = Rule {
    name: "privilege_escalation",
    threshold: 1,
    window: 60,
    severity: Risk::High,
};
const UNUSUAL_TIME: Rule = Rule {
    name: "unusual_access_time",
    threshold: 1,
    window: 3600,
    severity: Risk::Medium,
};

/// The window of the rule named `name`.
fn rule_window(name: &str) -> u64 {
    [
        BRUTE_FORCE,
        BRUTE_FORCE_PRINCIPAL,
        EXFILTRATION,
        ESCALATION,
        UNUSUAL_TIME,
    ]
    .iter()
    .find(|r| r.name == name)
    .map_or(0, |r| r.window)
}

/// An alert: a rule that fired for a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The rule's name.
    pub rule: &'static str,
    /// Its severity.
    pub severity: Risk,
    /// The source address or user it fired for.
    pub key: String,
    /// Matching events in the window when it fired, then the most seen
    /// in one window while it stayed quiet.
    pub count: usize,
    /// Event time of the first event of the window that fired it.
    pub first: u64,
    /// Event time of the latest matching event while it stayed quiet.
    pub last: u64,
}

/// The state of one rule for one key.
#[derive(Debug, Default)]
struct Window {
    /// Times of matching events, sorted.
    times: Vec<u64>,
    /// The alert raised, while it stays quiet: its index and end.
    quiet: Option<(usize, u64)>,
}

/// Applies the rules to events as they come.
#[derive(Debug, Default)]
pub struct Detector {
    config: Config,
    windows: HashMap<(&'static str, String), Window>,
    alerts: Vec<Alert>,
    newest: u64,
    too_late: u64,
    observed: u64,
}

impl Detector {
    /// Events between two sweeps of stale windows.
    pub const SWEEP_EVERY: u64 = 4096;

    /// A detector with `config`.
    pub fn new(config: Config) -> Detector {
        Detector { config, ..Detector::default() }
    }

    /// Every alert raised so far, with counts updated in place.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// Events ignored because they arrived later than the lateness allows.
    pub fn too_late(&self) -> u64 {
        self.too_late
    }

    /// Windows and event times held: bounded by the keys active within
    /// a window, not by the events seen.
    pub fn retained(&self) -> usize {
        self.windows.values().map(|w| 1 + w.times.len()).sum()
    }

    /// Drops the windows that can no longer fire or update an alert.
    fn sweep(&mut self) {
        let (newest, lateness) = (self.newest, self.config.lateness);
        self.windows.retain(|(name, _), w| {
            let window = rule_window(name);
            let horizon =
                newest.saturating_sub(window.saturating_add(lateness));
            let live = w.times.last().is_some_and(|&t| t >= horizon);
            let quiet = w.quiet.is_some_and(|(_, until)| until > horizon);
            live || quiet
        });
    }

    /// Applies the rules to `event` and returns the alerts it raised.
    pub fn observe(&mut self, event: &Event) -> Vec<Alert> {
        self.observed += 1;
        if self.observed.is_multiple_of(Self::SWEEP_EVERY) {
            self.sweep();
        }
        let t = event.timestamp;
        if t.saturating_add(self.config.lateness) < self.newest {
            self.too_late += 1;
            return Vec::new();
        }
        self.newest = self.newest.max(t);
        let user = event.user_id.as_deref();
        let late_hour = self.outside_hours(t);
        let mut raised = Vec::new();
        let mut apply = |rule: Rule, key: Option<&str>| {
            if let Some(key) = key {
                raised.extend(self.count(rule, key, t));
            }
        };
        match event.event_type.as_str() {
            "authentication_failed" => {
                apply(BRUTE_FORCE, event.source_ip.as_deref());
                apply(BRUTE_FORCE_PRINCIPAL, user);
            }
            "data_access" => {
                apply(EXFILTRATION, user);
                if late_hour {
                    apply(UNUSUAL_TIME, user);
                }
            }
            "permission_change" => {
                let up = event.details.get("permission_level_increased");
                if up.and_then(serde_json::Value::as_bool) == Some(true) {
                    apply(ESCALATION, user);
                }
            }
            _ => {}
        }
        raised
    }

    /// The guide's business hours: an hour before 6 or after 22 is
    /// outside (22:59 is inside).
    fn outside_hours(&self, t: u64) -> bool {
        let shift = i64::from(self.config.utc_offset_minutes) * 60;
        let local = i64::try_from(t).unwrap_or(i64::MAX).saturating_add(shift);
        let hour = local.rem_euclid(86_400) / 3600;
        !(6..=22).contains(&hour)
    }

    /// Counts one matching event of `rule` for `key` at `t`.
    fn count(&mut self, rule: Rule, key: &str, t: u64) -> Option<Alert> {
        let late = rule.window.saturating_add(self.config.lateness);
        let horizon = self.newest.saturating_sub(late);
        let w = self.windows.entry((rule.name, key.to_string())).or_default();
        let at = w.times.partition_point(|&x| x <= t);
        w.times.insert(at, t);
        let keep = w.times.partition_point(|&x| x < horizon);
        w.times.drain(..keep);
        let at = at.saturating_sub(keep);

        // Quiet after firing: the window ending at `t` updates the alert
        // in place.
        let lo = w.times.partition_point(|&x| x + rule.window <= t);
        if let Some((idx, until)) = w.quiet {
            if t < until {
                let a = &mut self.alerts[idx];
                a.count = a.count.max(at + 1 - lo);
                a.last = a.last.max(t);
                return None;
            }
            w.quiet = None;
        }

        // A window of `rule.window` seconds holding `t` with enough in
        // it: one starts at an event no more than a window before `t`.
        // N.B. When the first candidate falls short, fewer than
        // `threshold` events lie between it and `t`, so the loop is short
        // (PERF: linear in the threshold, not in the events).
        let full = (lo..=at).find_map(|i| {
            let j = w.times.partition_point(|&x| x < w.times[i] + rule.window);
            (j - i >= rule.threshold).then_some((j - i, w.times[i]))
        });
        let (count, first) = full?;
        let alert = Alert {
            rule: rule.name,
            severity: rule.severity,
            key: key.to_string(),
            count,
            first,
            last: t,
        };
        w.quiet = Some((self.alerts.len(), t + rule.window));
        self.alerts.push(alert.clone());
        Some(alert)
    }
}
