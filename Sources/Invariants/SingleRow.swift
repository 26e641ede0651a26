public import PostgresNIO

extension InvariantsClient {
    /// The one value of a one-row, one-column result; a typed call's building block.
    /// - Throws: ``InvariantsError`` when the result has no row.
    public static func single<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, as type: T.Type) async throws -> T {
        for try await value in rows.decode(T.self) { return value }
        throw InvariantsError(.other, "the query returned no row")
    }

    /// The one row a function returning one row returned.
    /// - Throws: ``InvariantsError`` when there is not exactly one.
    public static func single(_ rows: [PostgresRow]) throws(InvariantsError) -> PostgresRow {
        guard rows.count == 1, let row = rows.first else {
            throw InvariantsError(.other, "expected one row, got \(rows.count)")
        }
        return row
    }
}
