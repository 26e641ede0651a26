import Foundation

/// Command-line settings shared by every benchmark.
///
///     InvariantsBench [--only name[,name…]] [--quick] [--rounds N] [--list] [--<option> value…]
///
/// `--only` (repeatable, comma-separated) picks benchmarks by name; `--quick` shrinks every
/// benchmark for a smoke run (numbers from it are not worth recording); `--rounds` overrides
/// the rounds of every benchmark (at least 5). Any other `--option value` must be declared by
/// one of the benchmarks (see `--list`) and is read by it through ``int(_:default:quick:)``.
struct Settings: Sendable {
    var only: Set<String> = []
    var quick = false
    var list = false
    var rounds: Int?
    var options: [String: String] = [:]

    init(_ arguments: [String]) throws {
        var it = arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            switch flag {
            case "--quick": quick = true
            case "--list": list = true
            case "--help", "-h": list = true
            default:
                guard flag.hasPrefix("--") else { throw BenchError("unexpected argument \(flag)") }
                guard let value = it.next() else { throw BenchError("\(flag) needs a value") }
                switch flag {
                case "--only":
                    only.formUnion(value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
                case "--rounds":
                    guard let n = Int(value) else { throw BenchError("--rounds needs a number") }
                    rounds = max(5, n)
                default:
                    options[String(flag.dropFirst(2))] = value
                }
            }
        }
    }

    /// Rounds for a benchmark: `--rounds`, else `standard` (5 in quick mode; never below 5).
    func rounds(standard: Int) -> Int { rounds ?? (quick ? 5 : max(5, standard)) }

    func int(_ name: String, default value: Int, quick quickValue: Int? = nil) -> Int {
        if let given = options[name], let n = Int(given) { return n }
        return quick ? (quickValue ?? value) : value
    }

    func double(_ name: String, default value: Double) -> Double {
        options[name].flatMap(Double.init) ?? value
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
