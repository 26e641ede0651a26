public import InvariantsSchema
public import Logging
public import PostgresNIO
public import Invariants

/// Runs `InvariantCheck` queries and reports the ones that found violating rows.
public struct InvariantChecker: Sendable {
    /// A check that failed, with how many rows broke it and a few of them as JSON.
    public struct Violation: Sendable, Hashable, Encodable {
        public var check: String
        public var rows: Int
        public var examples: [String]
    }

    public var checks: [InvariantCheck]
    public var logger: Logger

    public init(checks: [InvariantCheck], logger: Logger) {
        self.checks = checks
        self.logger = logger
    }

    /// Every check, in one READ ONLY REPEATABLE READ transaction (one snapshot for all, so a
    /// writer between two checks cannot make them disagree). Empty when every invariant holds.
    public func violations(on connection: PostgresConnection) async throws(InvariantsError) -> [Violation] {
        do {
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger).collect()
            var result: [Violation] = []
            do {
                for check in checks {
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT count(*) OVER (), to_jsonb(v)::text FROM (\(check.sql)) AS v LIMIT 5
                        """), logger: logger).collect()
                    guard let first = rows.first else { continue }
                    let total = try first.decode((Int64, String).self).0
                    result.append(Violation(
                        check: check.name, rows: Int(total), examples: try rows.map { try $0.decode((Int64, String).self).1 }))
                }
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                throw error
            }
            _ = try await connection.query("COMMIT", logger: logger).collect()
            return result
        } catch let error as InvariantsError {
            throw error
        } catch {
            throw InvariantsError(error)
        }
    }
}
