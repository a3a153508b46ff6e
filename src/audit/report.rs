//! The guide's security report, aggregated as events stream by.
//!
//! Memory grows with the number of event types and users, not with
//! events: incidents are listed up to [`MAX_INCIDENTS`] and counted past
//! that, and the threat rules drop the windows of keys that have gone
//! quiet ([`Builder::retained`] tells what is held). Incidents carry ids,
//! times, types and users, never an event's details. With
//! [`Builder::pseudonymize`], users and the keys of alerts (users,
//! source addresses) appear only as keyed pseudonyms (`u-` and 16 hex
//! digits), the same for the same key and id, so a report can be shared
//! without naming anyone; a log written with pseudonymised users
//! ([`super::Pseudonyms`]) gives such a report without it.
//!
//! Limitations: one report holds every user of its period (a row each);
//! "outside business hours" uses one offset for all users
//! ([`Config::utc_offset_minutes`]), not each user's time zone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ring::hmac;
use serde::Serialize;

use super::rules::{Alert, Config, Detector};
use super::{Event, Risk};
use crate::crypto::format_rfc3339;

/// Incidents listed in a report; more are counted in
/// [`Summary::incidents_not_listed`].
pub const MAX_INCIDENTS: usize = 1000;

/// The report's period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// RFC 3339 UTC.
    pub start: String,
    /// RFC 3339 UTC.
    pub end: String,
    /// Whole days.
    pub days: u64,
}

/// Totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Events in the period.
    pub total_events: u64,
    /// Users with an event.
    pub unique_users: u64,
    /// Events of high risk.
    pub high_risk_events: u64,
    /// Events of critical risk.
    pub critical_events: u64,
    /// High and critical events past the first [`MAX_INCIDENTS`], counted
    /// but not listed.
    pub incidents_not_listed: u64,
}

/// One user's activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Events.
    pub total_events: u64,
    /// `authentication_failed` events.
    pub failed_logins: u64,
    /// `data_access` events.
    pub data_accesses: u64,
    /// Events of high or critical risk.
    pub high_risk_events: u64,
}

/// A high or critical event, without its details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// The event's id.
    pub event_id: String,
    /// RFC 3339 UTC.
    pub timestamp: String,
    /// Its type.
    pub event_type: String,
    /// Its risk.
    pub risk_level: Risk,
    /// Its user.
    pub user_id: Option<String>,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The period covered.
    pub report_period: Period,
    /// Totals.
    pub summary: Summary,
    /// Events per type.
    pub event_breakdown: BTreeMap<String, u64>,
    /// Per user.
    pub user_activity: BTreeMap<String, Activity>,
    /// High and critical events.
    pub security_incidents: Vec<Incident>,
    /// Alerts of the threat rules over the period's events.
    pub alerts: Vec<Alert>,
    /// What to do about it.
    pub recommendations: Vec<String>,
}

/// Builds a report over `[start, end)` (Unix seconds) from events in any
/// order.
#[derive(Debug)]
pub struct Builder {
    start: u64,
    end: u64,
    summary: Summary,
    breakdown: BTreeMap<String, u64>,
    users: BTreeMap<String, Activity>,
    incidents: Vec<Incident>,
    detector: Detector,
    pseudonyms: Option<hmac::Key>,
}

impl Builder {
    /// A report of the period `[start, end)`.
    pub fn new(start: u64, end: u64, config: Config) -> Builder {
        Builder {
            start,
            end,
            summary: Summary::default(),
            breakdown: BTreeMap::new(),
            users: BTreeMap::new(),
            incidents: Vec::new(),
            detector: Detector::new(config),
            pseudonyms: None,
        }
    }

    /// The same builder naming users and alert keys by keyed pseudonyms
    /// under `key` (32 secret bytes).
    pub fn pseudonymize(mut self, key: &[u8; 32]) -> Builder {
        self.pseudonyms = Some(hmac::Key::new(hmac::HMAC_SHA256, key));
        self
    }

    /// What the builder holds, in entries (users, event types, incidents,
    /// rule windows and the event times in them): it stays flat while
    /// events stream by.
    pub fn retained(&self) -> usize {
        self.users.len()
            + self.breakdown.len()
            + self.incidents.len()
            + self.detector.retained()
    }

    /// `id` as the report shows it.
    fn name(&self, id: &str) -> String {
        match &self.pseudonyms {
            Some(key) => pseudonym(key, id),
            None => id.to_string(),
        }
    }

    /// Counts one event, if it falls in the period.
    pub fn add(&mut self, e: &Event) {
        if e.timestamp < self.start || e.timestamp >= self.end {
            return;
        }
        let serious = e.risk_level >= Risk::High;
        self.summary.total_events += 1;
        self.summary.high_risk_events += u64::from(e.risk_level == Risk::High);
        self.summary.critical_events +=
            u64::from(e.risk_level == Risk::Critical);
        *self.breakdown.entry(e.event_type.clone()).or_default() += 1;
        let user = e.user_id.as_deref().map(|u| self.name(u));
        if let Some(user) = &user {
            let a = self.users.entry(user.clone()).or_default();
            a.total_events += 1;
            a.failed_logins +=
                u64::from(e.event_type == "authentication_failed");
            a.data_accesses += u64::from(e.event_type == "data_access");
            a.high_risk_events += u64::from(serious);
        }
        // Listed up to the cap, counted past it.
        if serious && self.incidents.len() < MAX_INCIDENTS {
            self.incidents.push(Incident {
                event_id: e.event_id.clone(),
                timestamp: format_rfc3339(e.timestamp),
                event_type: e.event_type.clone(),
                risk_level: e.risk_level,
                user_id: user,
            });
        } else if serious {
            self.summary.incidents_not_listed += 1;
        }
        self.detector.observe(e);
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        self.summary.unique_users = self.users.len() as u64;
        let mut alerts = self.detector.alerts().to_vec();
        for a in &mut alerts {
            a.key = self.name(&a.key);
        }
        let recommendations = recommend(&self.summary, &alerts, &self.users);
        Report {
            report_period: Period {
                start: format_rfc3339(self.start),
                end: format_rfc3339(self.end),
                days: (self.end.saturating_sub(self.start)) / 86_400,
            },
            summary: self.summary,
            event_breakdown: self.breakdown,
            user_activity: self.users,
            security_incidents: self.incidents,
            alerts,
            recommendations,
        }
    }
}

/// The keyed pseudonym of `id`: `u-` and the first 8 bytes of its MAC,
/// in hex.
fn pseudonym(key: &hmac::Key, id: &str) -> String {
    let tag = hmac::sign(key, id.as_bytes());
    let hex: String =
        tag.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("u-{hex}")
}

/// Recommendations from what the period shows.
fn recommend(
    summary: &Summary,
    alerts: &[Alert],
    users: &BTreeMap<String, Activity>,
) -> Vec<String> {
    let mut out = Vec::new();
    let fired = |rule: &str| alerts.iter().any(|a| a.rule.starts_with(rule));
    if fired("brute_force") {
        out.push(
            "Block or rate-limit the sources of repeated failed logins"
                .to_string(),
        );
    }
    if fired("data_exfiltration") {
        out.push("Review bulk data access by the users alerted".to_string());
    }
    if fired("privilege_escalation") {
        out.push(
            "Confirm every permission increase with its owner".to_string(),
        );
    }
    if fired("unusual_access_time") {
        out.push("Review data access outside business hours".to_string());
    }
    if summary.critical_events > 0 {
        out.push("Investigate the critical incidents now".to_string());
    }
    if users.values().any(|a| a.failed_logins >= 10) {
        out.push(
            "Require multi-factor authentication for users with many \
             failed logins"
                .to_string(),
        );
    }
    out
}

impl Report {
    /// The report as a text table, for a terminal.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let p = &self.report_period;
        let s = &self.summary;
        let _ = writeln!(
            t,
            "security report {} to {} ({} days)",
            p.start, p.end, p.days
        );
        let _ = writeln!(
            t,
            "events {}  users {}  high {}  critical {}",
            s.total_events,
            s.unique_users,
            s.high_risk_events,
            s.critical_events
        );
        let _ = writeln!(t, "\n{:<32} {:>10}", "event type", "events");
        for (ty, n) in &self.event_breakdown {
            let _ = writeln!(t, "{ty:<32} {n:>10}");
        }
        let _ = writeln!(
            t,
            "\n{:<32} {:>8} {:>8} {:>8} {:>8}",
            "user", "events", "failed", "access", "high"
        );
        for (u, a) in &self.user_activity {
            let _ = writeln!(
                t,
                "{u:<32} {:>8} {:>8} {:>8} {:>8}",
                a.total_events,
                a.failed_logins,
                a.data_accesses,
                a.high_risk_events
            );
        }
        let _ = writeln!(
            t,
            "\n{:<24} {:<10} {:<32} {:>6}",
            "alert", "severity", "key", "count"
        );
        for a in &self.alerts {
            let _ = writeln!(
                t,
                "{:<24} {:<10} {:<32} {:>6}",
                a.rule,
                a.severity.as_str(),
                a.key,
                a.count
            );
        }
        if !self.recommendations.is_empty() {
            let _ = writeln!(t, "\nrecommendations:");
            for r in &self.recommendations {
                let _ = writeln!(t, "- {r}");
            }
        }
        t
    }
}
