import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing
import Generations
import SeedAppsTesting

/// Issue 16, finding 9: a job naming another user's card is indistinguishable from one naming
/// an unknown card, and holds no lock on the other user's row.
@Suite("generations: a job's source card is its own user's")
struct GenerationsSameOwnerTests {
    /// Inserts a job naming `source` as `user` (directly, as the seed's app does) and returns the error.
    func refusal(_ f: GenerationsFixture, source: UUID, as user: UUID) async -> InvariantsError? {
        await #expect(throws: InvariantsError.self) {
            try await f.client.run(as: .user(user)) { conn in
                _ = try await conn.query("""
                    INSERT INTO public.generation_jobs (user_id, category, source_generation_id)
                    VALUES (\(user), 'edit', \(source))
                    """, logger: quietLogger).collect()
            }
        }
    }

    @Test("another user's card gets the unknown id's SQLSTATE, constraint and message, as a user and as the service")
    func sameErrorAsUnknown() async throws {
        try await withGenerations { f in
            let aliceCard = try await f.card(for: f.alice, tokens: 10)
            let unknown = try #require(await refusal(f, source: UUID(), as: f.bob))
            let foreign = try #require(await refusal(f, source: aliceCard, as: f.bob))
            #expect(foreign.sqlState == "23503")
            #expect(foreign.sqlState == unknown.sqlState)
            #expect(foreign.constraint == unknown.constraint)
            #expect(foreign.constraint == "generation_jobs_user_id_source_generation_id_fkey")
            #expect(foreign.message == unknown.message)
            // DETAIL too (as a request role PostgreSQL leaves the key's values out of it).
            #expect(foreign.detail == unknown.detail)
            // The service (which bypasses RLS) and a later UPDATE get the same answer.
            let job = try await f.client.createGenerationJob(NewGenerationJob(userID: f.bob, description: "b"), as: .user(f.bob))
            for source in [aliceCard, UUID()] {
                let refused = await #expect(throws: InvariantsError.self) {
                    try await f.client.run(as: .service) { conn in
                        _ = try await conn.query("UPDATE public.generation_jobs SET source_generation_id = \(source) WHERE id = \(job)",
                                             logger: quietLogger).collect()
                    }
                }
                #expect(refused?.sqlState == "23503")
                #expect(refused?.message == unknown.message)
            }
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs WHERE user_id = '\(f.bob)'") == 1)
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs WHERE source_generation_id IS NOT NULL") == 0)
            // Alice's own edit of her card still joins it.
            let edit = try await f.edit(aliceCard, for: f.alice, url: "https://img.example/e.png", tokens: 1)
            #expect(edit.generationID == aliceCard)
        }
    }

    @Test("Bob's open transaction that named Alice's card does not block Alice's delete of it")
    func noLockOnTheOtherUsersCard() async throws {
        try await withGenerations { f in
            let aliceCard = try await f.card(for: f.alice, tokens: 10)
            let deleted = try await f.client.run(as: .user(f.bob)) { conn in
                // Bob's attempt, in a savepoint so that his transaction stays open afterwards,
                // with a job of his own in it.
                _ = try await conn.query("SAVEPOINT attempt", logger: quietLogger).collect()
                let attempt = try? await conn.query("""
                    INSERT INTO public.generation_jobs (user_id, category, source_generation_id) VALUES (\(f.bob), 'edit', \(aliceCard))
                    """, logger: quietLogger).collect()
                #expect(attempt == nil, "refused")
                _ = try await conn.query("ROLLBACK TO SAVEPOINT attempt", logger: quietLogger).collect()
                _ = try await conn.query("INSERT INTO public.generation_jobs (user_id, description) VALUES (\(f.bob), 'mine')",
                                     logger: quietLogger).collect()
                // While Bob's transaction is open, Alice deletes the card without waiting.
                return try await f.client.run(as: .user(f.alice)) { other in
                    _ = try await other.query("SET LOCAL lock_timeout = '1s'", logger: quietLogger).collect()
                    return try await other.query("DELETE FROM public.generations WHERE id = \(aliceCard)", logger: quietLogger)
                        .collect().count
                }
            }
            _ = deleted
            #expect(try await f.count("SELECT count(*) FROM public.generations WHERE id = '\(aliceCard)'") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs WHERE user_id = '\(f.bob)'") == 1)
        }
    }

    @Test("8 sessions of Bob naming Alice's cards while Alice edits and deletes them: every attempt refused, Alice never waits")
    func concurrentAttempts() async throws {
        try await withGenerations { f in
            var cards: [UUID] = []
            for _ in 0..<4 { cards.append(try await f.card(for: f.alice, tokens: 1)) }
            let targets = cards
            let refusedCount = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var refused = 0
                        for round in 0..<10 {
                            let card = targets[(worker + round) % targets.count]
                            do {
                                try await f.client.run(as: .user(f.bob)) { conn in
                                    _ = try await conn.query("""
                                        INSERT INTO public.generation_jobs (user_id, category, source_generation_id)
                                        VALUES (\(f.bob), 'edit', \(card))
                                        """, logger: quietLogger).collect()
                                    try await Task.sleep(for: .milliseconds(20))
                                }
                            } catch let error as InvariantsError where error.sqlState == "23503" {
                                refused += 1
                            }
                        }
                        return refused
                    }
                }
                // Alice edits the first two cards and deletes the others meanwhile, never waiting on Bob.
                group.addTask {
                    for round in 0..<4 {
                        try await f.edit(targets[round % 2], for: f.alice, url: "https://img.example/a\(round).png", tokens: 1)
                    }
                    for card in targets[2...] {
                        try await f.client.run(as: .user(f.alice)) { conn in
                            _ = try await conn.query("SET LOCAL lock_timeout = '1s'", logger: quietLogger).collect()
                            _ = try await conn.query("DELETE FROM public.generations WHERE id = \(card)", logger: quietLogger).collect()
                        }
                    }
                    return 0
                }
                return try await group.reduce(0, +)
            }
            #expect(refusedCount == 80)
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs WHERE user_id = '\(f.bob)'") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.generations") == 2)
            #expect(try await f.count("SELECT sum(jsonb_array_length(output_data -> 'images')) FROM public.generations") == 6)
            for check in try projectCatalog().checks where check.name.hasPrefix("generation_jobs") {
                #expect(try await f.count("SELECT count(*) FROM (\(check.sql)) AS v") == 0, "\(check.name)")
            }
        }
    }

    @Test("a database migrated before: cross-user references are cleared, own ones kept, the key validated")
    func upgradeClearsCrossUserReferences() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        defer { Task { try? await database.drop() } }
        let catalog = try projectCatalog()
        let before = try catalog.updating("generations") { $0.migrations = Array($0.migrations.prefix(3)) }
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        try await Migrator(catalog: before, options: .init(modules: ["generations"]), logger: quietLogger).migrate(on: connection)
        let alice = UUID(), bob = UUID(), aliceCard = UUID(), bobCard = UUID(), foreignJob = UUID(), ownJob = UUID()
        _ = try await connection.query("""
            INSERT INTO auth.users (id) VALUES (\(alice)), (\(bob))
            """, logger: quietLogger).collect()
        _ = try await connection.query("""
            INSERT INTO public.generations (id, user_id) VALUES (\(aliceCard), \(alice)), (\(bobCard), \(bob))
            """, logger: quietLogger).collect()
        // Release 0.3's key let Bob's job name Alice's card.
        _ = try await connection.query("""
            INSERT INTO public.generation_jobs (id, user_id, category, source_generation_id)
            VALUES (\(foreignJob), \(bob), 'edit', \(aliceCard)), (\(ownJob), \(bob), 'edit', \(bobCard))
            """, logger: quietLogger).collect()

        let report = try await Migrator(catalog: catalog, logger: quietLogger).migrate(on: connection)
        #expect(report.appliedMigrations == [
            "generations/0004_same_owner_source_indexes.sql", "generations/0005_same_owner_source_key.sql",
            "generations/0006_validate_same_owner_source_key.sql",
        ])
        #expect(try await connection.scalar("""
            SELECT string_agg(id::text || '=' || coalesce(source_generation_id::text, 'null'), ',' ORDER BY id = \(ownJob))
            FROM public.generation_jobs
            """, as: String.self) == "\(foreignJob.uuidString.lowercased())=null,\(ownJob.uuidString.lowercased())=\(bobCard.uuidString.lowercased())")
        #expect(try await connection.scalar("""
            SELECT convalidated FROM pg_catalog.pg_constraint WHERE conname = 'generation_jobs_user_id_source_generation_id_fkey'
            """, as: Bool.self))
        #expect(try await connection.scalar("""
            SELECT count(*) FROM pg_catalog.pg_constraint WHERE conname = 'generation_jobs_source_generation_id_fkey'
            """, as: Int64.self) == 0)
        #expect(try await Migrator(catalog: catalog, logger: quietLogger).status(on: connection).isUpToDate)
        // Deleting Bob's card nulls only the source column of his job.
        _ = try await connection.query("DELETE FROM public.generations WHERE id = \(bobCard)", logger: quietLogger).collect()
        #expect(try await connection.scalar("""
            SELECT count(*) FROM public.generation_jobs WHERE id = \(ownJob) AND user_id = \(bob) AND source_generation_id IS NULL
            """, as: Int64.self) == 1)
    }
}
