import Foundation
import Invariants
import PostgresNIO
import SeedAppsTesting
import Testing

/// Issue 16 ("Also"): errors as in PostgresNIO — `description` never carries the server's
/// DETAIL (it can hold row values); `String(reflecting:)` shows everything.
@Suite("InvariantsError: description without row values")
struct ErrorDescriptionTests {
    @Test("a unique violation's DETAIL (the duplicate key's value) is in String(reflecting:) only")
    func detailStaysOutOfDescription() async throws {
        try await withCatalogClient { client, _ in
            let secret = "secret-\(UUID().uuidString.prefix(8))@example.com"
            try await client.execute("INSERT INTO auth.users (id, email) VALUES (\(UUID()), \(secret))")
            let error = await #expect(throws: InvariantsError.self) {
                try await client.execute("INSERT INTO auth.users (id, email) VALUES (\(UUID()), \(secret))")
            }
            let found = try #require(error)
            #expect(found.kind == .uniqueViolation)
            #expect(found.detail?.contains(secret) == true, "the server's DETAIL names the value")
            #expect(!"\(found)".contains(secret), "\(found)")
            #expect(!found.localizedDescription.contains(secret))
            #expect(String(reflecting: found).contains(secret))
            #expect(String(reflecting: found).hasPrefix("uniqueViolation: "))
        }
    }

    @Test("kinds compare and pattern-match as before")
    func kindsMatch() {
        let error = InvariantsError(.notFound, "gone")
        #expect(error.kind == .notFound && error.kind != .conflict)
        let label = switch error.kind {
        case .notFound: "not found"
        default: "other"
        }
        #expect(label == "not found")
        #expect(InvariantsError.Kind(sqlState: "IV409") == .conflict && InvariantsError.Kind(sqlState: "40P01") == .deadlock)
        #expect("\(InvariantsError.Kind.timeout)" == "timeout")
    }
}
