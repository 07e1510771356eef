//! The Markdown form of a [`Summary`]: a report an auditor can read.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::Summary;

/// Rows shown per table before "… and N more".
const ROWS: usize = 200;

fn t(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ot(d: &Option<DateTime<Utc>>) -> String {
    d.as_ref().map_or_else(|| "—".to_string(), t)
}

/// Escapes a value for a Markdown table cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn oc(s: &Option<String>) -> String {
    s.as_deref().map_or_else(String::new, cell)
}

fn code(c: Option<i32>) -> String {
    c.map_or_else(|| "—".to_string(), |c| c.to_string())
}

fn who(user: &str, imp: &Option<String>) -> String {
    match imp {
        Some(i) => format!("{} as {}", cell(user), cell(i)),
        None => cell(user),
    }
}

fn human(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, u) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            let _ = write!(out, "{n}{u}");
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// The note under a table that shows `shown` of `total` rows.
fn more(out: &mut String, shown: usize, total: u64) {
    let shown = shown.min(ROWS) as u64;
    if total > shown {
        let _ = writeln!(
            out,
            "\n… and {} more: every aggregate is in the detail document (`auditpack auditlog --detail FILE`; evidence/audit-log-detail.json in a packet).",
            total - shown
        );
    }
}

/// A list's full count: its total, or its length in summaries older than the totals.
fn total(len: usize, total: u64) -> u64 {
    total.max(len as u64)
}

impl Summary {
    /// A readable Markdown report: period, continuity verdict, gaps, RBAC changes, Secret
    /// access, execs, denied requests and the most active users.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        self.write_header(&mut o);
        self.write_continuity(&mut o);
        self.write_rbac_changes(&mut o);
        self.write_secret_access(&mut o);
        self.write_execs(&mut o);
        self.write_denied(&mut o);
        self.write_access(&mut o);
        self.write_top_users(&mut o);
        self.write_files_and_problems(&mut o);
        o
    }

    /// The period, the events' span, and the files read.
    fn write_header(&self, o: &mut String) {
        let _ = writeln!(o, "# Kubernetes audit log summary\n");
        let _ = writeln!(
            o,
            "- Period: {} to {}",
            self.since.as_ref().map_or("(not given)".to_string(), t),
            self.until.as_ref().map_or("(not given)".to_string(), t)
        );
        let _ = writeln!(
            o,
            "- Events: first {}, last {}",
            ot(&self.first_event),
            ot(&self.last_event)
        );
        let _ = writeln!(
            o,
            "- Requests in the period: {} ({} outside the period, {} duplicate stages folded)",
            self.events, self.outside, self.duplicate_stages
        );
        let _ = writeln!(
            o,
            "- Files read: {}; problems: {}",
            self.files.len(),
            self.problems_total
        );
    }

    /// The continuity verdict and the gaps.
    fn write_continuity(&self, o: &mut String) {
        let _ = writeln!(o, "\n## Continuity\n");
        let thr = human(self.gap_threshold_seconds);
        if self.events == 0 {
            let _ = writeln!(
                o,
                "**Finding:** no audit events in the period — the logs give no evidence that changes were monitored."
            );
        } else if !self.gaps.is_empty() {
            let total: u64 = self.gaps.iter().map(|g| g.seconds).sum();
            let _ = writeln!(
                o,
                "**Finding:** {} gap(s) longer than {thr} without any audit event ({} in all): logging may have been interrupted.",
                self.gaps.len(),
                human(total)
            );
        } else if self.since.is_some() && self.until.is_some() {
            let _ = writeln!(
                o,
                "**Continuous:** events cover the whole period with no gap longer than {thr}."
            );
        } else {
            let _ = writeln!(
                o,
                "**Continuous between the first and last event:** no gap longer than {thr}. No full period was given (`--since`/`--until`), so a late start or early end cannot be judged."
            );
        }
        if !self.gaps.is_empty() {
            let _ = writeln!(o, "\n| start | end | length |\n| --- | --- | --- |");
            for g in self.gaps.iter().take(ROWS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    t(&g.start),
                    t(&g.end),
                    human(g.seconds)
                );
            }
            if self.gaps.len() > ROWS {
                let _ = writeln!(
                    o,
                    "\n… and {} more gaps (the JSON summary lists them all).",
                    self.gaps.len() - ROWS
                );
            }
        }
    }

    /// RBAC changes in the period.
    fn write_rbac_changes(&self, o: &mut String) {
        let n = total(self.rbac_changes.len(), self.rbac_changes_total);
        let _ = writeln!(o, "\n## RBAC changes ({n})\n");
        if self.rbac_changes.is_empty() {
            let _ = writeln!(o, "None in the period.");
        } else {
            let _ = writeln!(
                o,
                "| time | user | verb | resource | namespace | name | code |\n| --- | --- | --- | --- | --- | --- | --- |"
            );
            for r in self.rbac_changes.iter().take(ROWS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    t(&r.time),
                    who(&r.user, &r.impersonated_user),
                    cell(&r.verb),
                    cell(&r.resource),
                    oc(&r.namespace),
                    oc(&r.name),
                    code(r.code)
                );
            }
            more(o, self.rbac_changes.len(), n);
        }
    }

    /// Secret access (metadata only).
    fn write_secret_access(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "\n## Secret access ({} rows, metadata only)\n",
            total(self.secret_access.len(), self.secret_access_total)
        );
        if self.secret_access.is_empty() {
            let _ = writeln!(o, "None in the period.");
        } else {
            let _ = writeln!(
                o,
                "| namespace | name | user | verb | requests | denied | first | last |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
            );
            for s in self.secret_access.iter().take(ROWS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    oc(&s.namespace),
                    oc(&s.name),
                    who(&s.user, &s.impersonated_user),
                    cell(&s.verb),
                    s.count,
                    s.denied,
                    t(&s.first),
                    t(&s.last)
                );
            }
            more(
                o,
                self.secret_access.len(),
                total(self.secret_access.len(), self.secret_access_total),
            );
        }
    }

    /// Exec and attach into pods.
    fn write_execs(&self, o: &mut String) {
        let n = total(self.execs.len(), self.execs_total);
        let _ = writeln!(o, "\n## Exec and attach into pods ({n})\n");
        if self.execs.is_empty() {
            let _ = writeln!(o, "None in the period.");
        } else {
            let _ = writeln!(
                o,
                "| time | user | kind | namespace | pod | code |\n| --- | --- | --- | --- | --- | --- |"
            );
            for e in self.execs.iter().take(ROWS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    t(&e.time),
                    who(&e.user, &e.impersonated_user),
                    cell(&e.subresource),
                    oc(&e.namespace),
                    oc(&e.pod),
                    code(e.code)
                );
            }
            more(o, self.execs.len(), n);
        }
    }

    /// Denied requests (403).
    fn write_denied(&self, o: &mut String) {
        let _ = writeln!(o, "\n## Denied requests (403)\n");
        if self.denied.is_empty() {
            let _ = writeln!(o, "None in the period.");
        } else {
            let _ = writeln!(
                o,
                "| user | denied | first | last |\n| --- | --- | --- | --- |"
            );
            for d in self.denied.iter().take(ROWS) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    who(&d.user, &d.impersonated_user),
                    d.count,
                    t(&d.first),
                    t(&d.last)
                );
            }
            more(
                o,
                self.denied.len(),
                total(self.denied.len(), self.denied_total),
            );
        }
    }

    /// The 20 most active users.
    /// RBAC changes, Secret access, exec and attach by user, verb, resource, namespace.
    fn write_access(&self, o: &mut String) {
        if self.access.is_empty() {
            return;
        }
        let n = total(self.access.len(), self.access_total);
        let _ = writeln!(
            o,
            "\n## Sensitive access by user, verb, resource and namespace ({n})\n\n| user | verb | resource | namespace | requests | denied | first | last |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
        );
        for a in self.access.iter().take(ROWS) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                who(&a.user, &a.impersonated_user),
                cell(&a.verb),
                cell(&a.resource),
                oc(&a.namespace),
                a.count,
                a.denied,
                t(&a.first),
                t(&a.last)
            );
        }
        more(o, self.access.len(), n);
    }

    fn write_top_users(&self, o: &mut String) {
        let _ = writeln!(o, "\n## Top users\n");
        let mut users: Vec<(&String, &u64)> = self.by_user.iter().collect();
        users.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        if users.is_empty() {
            let _ = writeln!(o, "None in the period.");
        } else {
            let _ = writeln!(o, "| user | requests |\n| --- | --- |");
            for (u, n) in users.iter().take(20) {
                let _ = writeln!(o, "| {} | {n} |", cell(u));
            }
        }
    }

    /// The files read, and the problems found in them.
    fn write_files_and_problems(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "\n## Files\n\n| file | gzip | lines | events | malformed | sha256 |\n| --- | --- | --- | --- | --- | --- |"
        );
        for f in &self.files {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.path),
                if f.gzip { "yes" } else { "no" },
                f.lines,
                f.events,
                f.malformed,
                f.sha256.as_deref().unwrap_or("—")
            );
        }
        if self.problems_total > 0 {
            let _ = writeln!(
                o,
                "\n## Problems ({})\n\n| file | line | reason |\n| --- | --- | --- |",
                self.problems_total
            );
            for p in &self.problems {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    cell(&p.file),
                    p.line,
                    cell(&p.reason)
                );
            }
            if self.problems_total > self.problems.len() as u64 {
                let _ = writeln!(
                    o,
                    "\n… and {} more.",
                    self.problems_total - self.problems.len() as u64
                );
            }
        }
    }
}
