import Invariants
import InvariantsSchema
import PostgresNIO

/// What an adopted database keeps by design, which `verify` does not call drift:
/// - the adoption's own ledger, `invariants.adoptions`, and the quarantine tables orphans were
///   moved to (`invariants.quarantine_<table>`): data of the adoption, absent from a fresh install;
/// - a counter the app made `integer` where the declaration says `bigint`: adoption keeps it
///   (`ALTER … TYPE bigint` rewrites the table) and the client decodes either. Only on a table an
///   adopted module took over; such a column is listed in ``Verifier/Report/accepted``.
struct AdoptedShape {
    /// `table.column` of each column an adoption kept `integer`.
    var keptIntegers: [String] = []
    var differences: [CatalogSnapshot.Difference]

    static func isAdoptionData(_ key: String) -> Bool {
        key.contains("invariants.adoptions") || key.contains("invariants.quarantine_")
    }

    init(_ differences: [CatalogSnapshot.Difference], expected: CatalogSnapshot, actual: CatalogSnapshot, adoptedTables: Set<String>) {
        var kept: [String] = []
        self.differences = differences.filter { difference in
            if Self.isAdoptionData(difference.key) { return false }
            guard difference.change == .changed, difference.key.hasPrefix("column "),
                  let want = expected.entries[difference.key], let have = actual.entries[difference.key],
                  want.hasPrefix("bigint "), have == "integer " + want.dropFirst("bigint ".count) else { return true }
            let column = String(difference.key.dropFirst("column ".count))
            guard let dot = column.lastIndex(of: "."), adoptedTables.contains(String(column[..<dot])) else { return true }
            kept.append(column)
            return false
        }
        keptIntegers = kept
    }

    /// The tables taken over by the adoptions this database records as finished.
    static func adoptedTables(_ catalog: Catalog, session: SQLSession) async throws(InvariantsError) -> Set<String> {
        let ledger = try await session.rows("SELECT pg_catalog.to_regclass('invariants.adoptions') IS NOT NULL")
        guard (try? ledger.first?.decode(Bool.self)) == true else { return [] }
        let rows = try await session.rows("SELECT a.module FROM invariants.adoptions AS a WHERE a.step = 'adopted'")
        let modules = Set(rows.compactMap { try? $0.decode(String.self) })
        return Set(catalog.modules.filter { modules.contains($0.name) }.flatMap { $0.adoption?.tables ?? [] }.map(\.description))
    }
}
