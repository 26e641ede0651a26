// InvariantsBench: every benchmark of the project, on throwaway servers, then one table.
//
//   swift run -c release InvariantsBench [--only name[,name…]] [--quick] [--rounds N] [--list] [--<option> value…]
//
// Each benchmark reports ratios against a baseline measured in the same run, on the same server,
// in interleaved rounds (median of the rounds, spread = min–max). The table (markdown) goes to
// stdout, progress to stderr. Exit status: 0 when every goal is met, 1 when a goal is missed
// (not with --quick, whose sizes are too small for the goals), 2 when a benchmark failed to run
// (the others still run and print).
//
// Adding a benchmark: a new file with `enum XBenchmark { static let benchmark = Benchmark(…) }`,
// listed below.
import Foundation
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

let benchmarks: [Benchmark] = [
    PlatformBenchmark.benchmark,
    OwnerRLSBenchmark.benchmark,
    CounterInsertsBenchmark.benchmark,
    CounterHotParentBenchmark.benchmark,
    CounterRepairBenchmark.benchmark,
    AdoptionBenchmark.benchmark,
    ChatMessageInsertsBenchmark.benchmark,
    EditAppendBenchmark.benchmark,
    SupportChatBenchmark.benchmark,
]

let settings: Settings
do {
    settings = try Settings(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("\(error)\nrun with --list for the benchmarks and their options\n".utf8))
    exit(2)
}

if settings.list {
    print("InvariantsBench [--only name[,name…]] [--quick] [--rounds N] [--list] [--<option> value…]\n")
    for benchmark in benchmarks {
        print("\(benchmark.name): \(benchmark.summary)")
        for (option, help) in benchmark.options.sorted(by: { $0.key < $1.key }) { print("    --\(option) \(help)") }
    }
    exit(0)
}

let known = Set(benchmarks.flatMap(\.options.keys))
let unknownOptions = settings.options.keys.filter { !known.contains($0) }.sorted()
let unknownNames = settings.only.subtracting(benchmarks.map(\.name)).sorted()
if !unknownOptions.isEmpty || !unknownNames.isEmpty {
    FileHandle.standardError.write(Data((
        unknownOptions.map { "unknown option --\($0)\n" }.joined()
        + unknownNames.map { "unknown benchmark \($0)\n" }.joined()
        + "run with --list for the benchmarks and their options\n").utf8))
    exit(2)
}

let servers = BenchServers()
let context = BenchContext(settings: settings, servers: servers)
var rows: [ResultRow] = []
var failures: [String] = []
let clock = ContinuousClock()
let started = clock.now
for benchmark in benchmarks where settings.only.isEmpty || settings.only.contains(benchmark.name) {
    BenchLog.line("== \(benchmark.name): \(benchmark.summary)")
    do {
        let benchmarkStart = clock.now
        rows += try await benchmark.run(context)
        BenchLog.line("== \(benchmark.name) done in \((clock.now - benchmarkStart).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 0))))")
    } catch {
        failures.append("\(benchmark.name): \(String(reflecting: error))")
        BenchLog.line("== \(benchmark.name) FAILED: \(String(reflecting: error))")
    }
}
await servers.stopAll()

print("")
print("Machine: \(machineDescription()). \(settings.quick ? "QUICK run (smoke only, not for the record). " : "")Total \((clock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 0)))).")
print("Values: median of the rounds (min–max); ratio: median of the per-round ratios (min–max).")
print("")
print(ResultRow.header)
for row in rows { print(row.markdown) }
for failure in failures { print("| \(failure.prefix(300).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "/")) | — | — | — | — | **FAILED** |") }

let missed = rows.filter { $0.met == false }
if !failures.isEmpty { exit(2) }
if !missed.isEmpty {
    print("\n\(missed.count) goal(s) missed\(settings.quick ? " (a --quick run does not enforce goals)" : "").")
    if !settings.quick { exit(1) }
}
