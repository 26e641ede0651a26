import InvariantsMigrator

/// The Citus report as `invariants lint --citus` prints it: tables, counters, findings, who
/// changes what, the operator's script, and what was not verified.
struct CitusReportText {
    let report: CitusReport

    var text: String {
        var lines = ["Citus readiness of \(report.modules.joined(separator: ", ")) (from the Swift declarations)", ""]
        lines += ["Distribution rule: " + report.rule, ""]
        lines.append("Tables (\(report.tables.count))")
        for table in report.tables {
            var place = table.kind.rawValue
            if let column = table.column { place += " by \(column)" }
            place += table.colocateWith.map { ", co-located with \($0)" } ?? (table.kind == .distributed ? ", first of its co-location group" : "")
            lines.append("  \(pad(table.table, 32)) \(place)")
            lines.append("      \(table.reason)")
        }
        if !report.counters.isEmpty {
            lines += ["", "Counters (\(report.counters.count))"]
            for counter in report.counters {
                lines.append("  \(counter.counter): \(counter.child) → \(counter.parent): \(counter.colocated ? "co-located" : "NOT co-located") — \(counter.detail)")
            }
        }
        lines += ["", "Findings (\(report.findings.count))"]
        for finding in report.findings {
            lines.append("  \(finding.rule)  \(finding.object)")
            lines.append("      why: \(finding.problem)")
            lines.append("      change: \(finding.change)")
            lines.append("      by: \(finding.madeBy.rawValue)")
        }
        lines += ["", "Changes"]
        for owner in CitusReport.ChangeOwner.allCases {
            let changes = report.changes(by: owner)
            lines.append("  \(owner.rawValue) (\(changes.count)):")
            lines += changes.map { "    - \($0)" }
        }
        lines += ["", "Operator script (on the coordinator, once the project's changes above are migrated: Citus refuses the keys before that)"]
        lines += report.operatorScript.map { "  " + $0 }
        if !report.notAnalyzed.isEmpty {
            lines += ["", "Not analyzed (tables written as SQL, not declared): " + report.notAnalyzed.joined(separator: ", ")]
        }
        lines += ["", "Not checked"] + report.limits.map { "  - " + $0 }
        lines += ["", report.verification, ""]
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
