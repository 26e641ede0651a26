import Foundation
import InvariantsSchema
import SeedApps
import Testing

/// Generated SQL a DBA reads (issue 17): every counter function of the catalog keeps its lines
/// under 120 characters, and each module's repeatable set writes its ledger rows in one upsert.
@Suite struct CounterSQLReadabilityTests {
    @Test("counter trigger functions: no line over 120 characters, on every strategy")
    func counterLines() {
        let counters = ProjectCatalog.catalog.modules.flatMap(\.counters)
        #expect(counters.count >= 2)
        for declared in counters {
            for strategy in [CounterCache.Strategy.row, .statement, .deltas] where declared.setOnce.isEmpty || strategy == .statement {
                var counter = declared
                counter.strategy = strategy
                for function in [counter.triggerFunction, counter.truncateFunction] {
                    let long = function.createSQL.split(separator: "\n").filter { $0.count > 120 }
                    #expect(long.isEmpty, "\(function.name.sql) (\(strategy)): \(long)")
                }
            }
        }
    }

    @Test("each module's repeatable.sql records its objects in one multi-row upsert")
    func oneLedgerUpsert() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        for module in ProjectCatalog.catalog.modules where !module.repeatables.isEmpty {
            let text = try String(contentsOf: url.appendingPathComponent("sql/\(module.name)/repeatable.sql"), encoding: .utf8)
            let upserts = text.components(separatedBy: "INSERT INTO \"invariants\".\"repeatable_objects\"").count - 1
            #expect(upserts == 1, "\(module.name): \(upserts) ledger statements")
            #expect(text.contains("VALUES\n("), "\(module.name): one VALUES list")
        }
    }
}
