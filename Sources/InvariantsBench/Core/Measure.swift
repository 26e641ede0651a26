import Foundation

/// Median and spread (min–max) of per-round values.
struct Spread: Sendable {
    var median: Double
    var min: Double
    var max: Double

    init(_ values: [Double]) {
        precondition(!values.isEmpty)
        let sorted = values.sorted()
        let n = sorted.count
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        min = sorted[0]
        max = sorted[n - 1]
    }
}

/// What a number is, for printing.
enum Unit: Sendable {
    /// Seconds (printed as ms below 1 s, µs below 0.1 ms).
    case seconds
    /// Per second, e.g. `rows/s`.
    case rate(String)

    func format(_ value: Double) -> String {
        switch self {
        case .seconds:
            switch value {
            case ..<0.0001: return String(format: "%.2f µs", value * 1_000_000)
            case ..<0.01: return String(format: "%.2f ms", value * 1000)
            case ..<0.1: return String(format: "%.1f ms", value * 1000)
            case ..<1: return String(format: "%.0f ms", value * 1000)
            default: return String(format: "%.2f s", value)
            }
        case .rate(let noun):
            return "\(Int(value.rounded()).formatted()) \(noun)"
        }
    }

    func format(_ spread: Spread) -> String {
        "\(format(spread.median)) (\(format(spread.min))–\(format(spread.max)))"
    }
}

/// Per-round results of a measured/baseline pair, interleaved.
struct Comparison: Sendable {
    var measured: [Double] = []
    var baseline: [Double] = []

    /// `measured / baseline` per round (for times: the cost; for rates: the relative throughput).
    var ratios: [Double] { zip(measured, baseline).map { $0 / $1 } }
    /// `baseline / measured` per round (for times: the speed-up of measured).
    var inverseRatios: [Double] { zip(measured, baseline).map { $1 / $0 } }
}

/// Runs `rounds` rounds (plus one discarded warm-up round) of measured and baseline, the
/// order alternating between rounds so neither always runs second (on a warmer cache, or
/// after the other's autovacuum). Each closure returns one number for its round.
func interleaved(
    rounds: Int, label: String, warmUp: Bool = true,
    measured: () async throws -> Double, baseline: () async throws -> Double
) async throws -> Comparison {
    var result = Comparison()
    for round in (warmUp ? 0 : 1)...rounds {
        var m = 0.0, b = 0.0
        if round % 2 == 0 {
            m = try await measured()
            b = try await baseline()
        } else {
            b = try await baseline()
            m = try await measured()
        }
        if round > 0 {
            result.measured.append(m)
            result.baseline.append(b)
        }
        BenchLog.line("  \(label) round \(round)\(round == 0 ? " (warm-up)" : ""): measured \(String(format: "%.4g", m)), baseline \(String(format: "%.4g", b))")
    }
    return result
}

/// Like ``interleaved(rounds:label:warmUp:measured:baseline:)`` with a second baseline (e.g. a
/// hand-written floor next to "no trigger"): the three run in a rotating order each round, so
/// all three see the same noise. Returns measured against each baseline.
func interleaved(
    rounds: Int, label: String,
    measured: () async throws -> Double, floor: () async throws -> Double, baseline: () async throws -> Double
) async throws -> (floor: Comparison, baseline: Comparison) {
    var vsFloor = Comparison(), vsBaseline = Comparison()
    for round in 0...rounds {
        var values = [0.0, 0.0, 0.0]
        for step in 0..<3 {
            let which = (round + step) % 3
            switch which {
            case 0: values[0] = try await measured()
            case 1: values[1] = try await floor()
            default: values[2] = try await baseline()
            }
        }
        if round > 0 {
            vsFloor.measured.append(values[0])
            vsFloor.baseline.append(values[1])
            vsBaseline.measured.append(values[0])
            vsBaseline.baseline.append(values[2])
        }
        let text = values.map { String(format: "%.4g", $0) }
        BenchLog.line("  \(label) round \(round)\(round == 0 ? " (warm-up)" : ""): measured \(text[0]), floor \(text[1]), "
            + "no trigger \(text[2])")
    }
    return (vsFloor, vsBaseline)
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
