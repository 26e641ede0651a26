import Foundation

/// A goal on a result row; a row meets its goal when every clause holds. No clause: reported only.
enum GoalClause: Sendable {
    case ratioAtLeast(Double)
    case ratioAtMost(Double)
    /// The measured median in seconds.
    case secondsAtMost(Double)

    var text: String {
        switch self {
        case .ratioAtLeast(let x): return "≥ \(Self.number(x))×"
        case .ratioAtMost(let x): return "≤ \(Self.number(x))×"
        case .secondsAtMost(let s): return s < 1 ? "≤ \(Self.number(s * 1000)) ms" : "≤ \(Self.number(s)) s"
        }
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2g", x)
    }
}

/// One line of the final table: what was measured, the baseline measured in the same run,
/// their ratio, the goal, and whether it was met.
struct ResultRow: Sendable {
    var benchmark: String
    /// What was measured, then its value (median and min–max of rounds).
    var measured: String
    var measuredValue: Spread
    var unit: Unit
    /// The baseline, measured in the same run; nil for a row without one.
    var baseline: String?
    var baselineValue: Spread?
    /// The ratio (median and min–max of per-round ratios) and what it means ("throughput", "cost", "speed-up").
    var ratio: Spread?
    var ratioMeaning: String = ""
    var goal: [GoalClause] = []

    /// nil when the row has no goal.
    var met: Bool? {
        guard !goal.isEmpty else { return nil }
        return goal.allSatisfy { clause in
            switch clause {
            case .ratioAtLeast(let x): return (ratio?.median ?? 0) >= x
            case .ratioAtMost(let x): return (ratio?.median ?? .infinity) <= x
            case .secondsAtMost(let s): return measuredValue.median <= s
            }
        }
    }

    var markdown: String {
        let ratioText = ratio.map {
            String(format: "%.2f× (%.2f–%.2f)", $0.median, $0.min, $0.max) + (ratioMeaning.isEmpty ? "" : " \(ratioMeaning)")
        } ?? "—"
        let baselineText = baseline.map { b in baselineValue.map { "\(b): \(unit.format($0))" } ?? b } ?? "—"
        let goalText = goal.isEmpty ? "report" : goal.map(\.text).joined(separator: " and ")
        let metText = met.map { $0 ? "yes" : "**NO**" } ?? "—"
        return "| \(benchmark) | \(measured): \(unit.format(measuredValue)) | \(baselineText) | \(ratioText) | \(goalText) | \(metText) |"
    }

    static let header = """
        | benchmark | measured | baseline (same run) | ratio | goal | met |
        |---|---|---|---|---|---|
        """
}

/// Builds the usual row from a comparison of rates (ratio = measured/baseline throughput).
func throughputRow(
    _ benchmark: String, measured: String, baseline: String, _ comparison: Comparison, noun: String,
    goal: [GoalClause] = []
) -> ResultRow {
    ResultRow(
        benchmark: benchmark, measured: measured, measuredValue: Spread(comparison.measured), unit: .rate(noun),
        baseline: baseline, baselineValue: Spread(comparison.baseline), ratio: Spread(comparison.ratios),
        ratioMeaning: "throughput", goal: goal)
}

/// Builds a row from a comparison of times where the baseline is the slower one (ratio = speed-up).
func speedupRow(
    _ benchmark: String, measured: String, baseline: String, _ comparison: Comparison, goal: [GoalClause] = []
) -> ResultRow {
    ResultRow(
        benchmark: benchmark, measured: measured, measuredValue: Spread(comparison.measured), unit: .seconds,
        baseline: baseline, baselineValue: Spread(comparison.baseline), ratio: Spread(comparison.inverseRatios),
        ratioMeaning: "speed-up", goal: goal)
}

/// Builds a row from a comparison of times (ratio = measured/baseline time, the cost).
func costRow(
    _ benchmark: String, measured: String, baseline: String, _ comparison: Comparison, goal: [GoalClause] = []
) -> ResultRow {
    ResultRow(
        benchmark: benchmark, measured: measured, measuredValue: Spread(comparison.measured), unit: .seconds,
        baseline: baseline, baselineValue: Spread(comparison.baseline), ratio: Spread(comparison.ratios),
        ratioMeaning: "time", goal: goal)
}
