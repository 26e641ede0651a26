/// The app's own tables beside the modules' in the same schema (seed 001 keeps
/// `support_threads_data`, `eval_results` and five more as they are): no installed module declares
/// them, so `verify` does not judge them — they and everything on them (columns, keys, indexes,
/// triggers, policies, grants, the sequences their columns draw from) are listed apart instead of
/// as drift. Objects that are not on such a table (a function, a view, a trigger on one of ours)
/// are still unexpected.
struct AppOwnTables {
    /// The app's tables, by snapshot name (`public.eval_results`).
    var tables: [String]
    /// The differences left once everything on those tables is taken out.
    var differences: [CatalogSnapshot.Difference]

    init(_ differences: [CatalogSnapshot.Difference], actual: CatalogSnapshot) {
        let unexpected = Set(differences.filter { $0.change == .unexpected }.map(\.key))
        let tables = unexpected.filter { $0.hasPrefix("table ") }.map { String($0.dropFirst("table ".count)) }.sorted()
        var owned: Set<String> = []
        for table in tables {
            owned.insert("table " + table)
            let prefixes = ["column \(table).", "constraint \(table).", "trigger \(table).", "policy \(table).",
                            "grant on \(table) to ", "grant on \(table)."]
            let onTable = unexpected.filter { key in prefixes.contains { key.hasPrefix($0) } }
            owned.formUnion(onTable)
            // Indexes name only themselves: their definition names the table.
            owned.formUnion(unexpected.filter { $0.hasPrefix("index ") && actual.entries[$0]?.contains(" ON \(table) USING ") == true })
            for sequence in Self.sequences(of: table, columns: onTable.filter { $0.hasPrefix("column ") }, actual: actual)
            where unexpected.contains("sequence " + sequence) {
                owned.insert("sequence " + sequence)
                owned.formUnion(unexpected.filter { $0.hasPrefix("grant on \(sequence) to ") })
            }
        }
        self.tables = tables
        self.differences = differences.filter { !owned.contains($0.key) }
    }

    /// The sequences `table`'s columns draw from: a `nextval('…')` default, or an identity
    /// column's own (`<table>_<column>_seq`).
    static func sequences(of table: String, columns: Set<String>, actual: CatalogSnapshot) -> [String] {
        columns.compactMap { key -> String? in
            guard let definition = actual.entries[key] else { return nil }
            if let start = definition.range(of: "nextval('") {
                let rest = definition[start.upperBound...]
                return rest.range(of: "'").map { String(rest[..<$0.lowerBound]) }
            }
            guard definition.contains("IDENTITY") else { return nil }
            let column = key.dropFirst("column \(table).".count)
            return "\(table)_\(column)_seq"
        }
    }
}
