import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Generations
import SeedAppsTesting

/// A private migrated database, a superuser client (it acts as users through `run(as:)`) and two users.
struct GenerationsFixture: Sendable {
    let database: TestDatabase
    let client: InvariantsClient
    let alice: UUID
    let bob: UUID

    static func make() async throws -> GenerationsFixture {
        let database = try await catalogDatabase()
        let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 24, logger: quietLogger)
        let alice = UUID(), bob = UUID()
        try await client.execute(
            "INSERT INTO auth.users (id, email) VALUES (\(alice), 'alice@example.com'), (\(bob), 'bob@example.com')")
        return GenerationsFixture(database: database, client: client, alice: alice, bob: bob)
    }

    func close() async {
        client.close()
        try? await database.drop()
    }

    /// A bigint read as the superuser, bypassing RLS.
    func count(_ sql: String) async throws -> Int64 {
        try await client.query(PostgresQuery(unsafeSQL: sql)).first!.decode(Int64.self)
    }

    /// A text read as the superuser.
    func text(_ sql: String) async throws -> String {
        try await client.query(PostgresQuery(unsafeSQL: sql)).first!.decode(String.self)
    }

    /// A finished generation (a new card) for `user`: the seed's normal path. Returns the card.
    func card(for user: UUID, url: String = "https://img.example/original.png", tokens: Int64 = 10) async throws -> UUID {
        let job = try await client.createGenerationJob(NewGenerationJob(userID: user, description: "a cat"), as: .user(user))
        let done = try await client.completeGenerationJob(job, imageURL: url, tokensCost: tokens)
        return try require(done.generationID, "generation_id")
    }

    /// Creates an edit of `source` for `user` and completes it; returns the job.
    @discardableResult
    func edit(_ source: UUID, for user: UUID, url: String, tokens: Int64) async throws -> GenerationJob {
        let job = try await client.createGenerationJob(.edit(of: source, for: user), as: .user(user))
        return try await client.completeGenerationJob(job, imageURL: url, tokensCost: tokens)
    }
}

struct RequireFailure: Error, CustomStringConvertible { let description: String }

/// `value`, or a thrown failure (a tiny `#require` for helpers outside a test).
func `require`<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw RequireFailure(description: "\(what) was nil") }
    return value
}

/// Runs `body` with a fresh fixture and closes it afterwards.
func withGenerations(_ body: (GenerationsFixture) async throws -> Void) async throws {
    let fixture = try await GenerationsFixture.make()
    do {
        try await body(fixture)
        await fixture.close()
    } catch {
        await fixture.close()
        throw error
    }
}
