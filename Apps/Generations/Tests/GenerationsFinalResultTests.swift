import Foundation
import Invariants
import PostgresNIO
import Testing
import Generations

/// Issue 16, finding 6: a job in a terminal state is final — its result columns are immutable
/// and a second completion raises IV001 — so a job and its card can never disagree.
@Suite("generations: a finished job's result is final")
struct GenerationsFinalResultTests {
    @Test("a second completion, a changed cost, a cleared image_url are refused with IV001 naming the column")
    func secondCompletionRefused() async throws {
        try await withGenerations { f in
            let job = try await f.client.createGenerationJob(NewGenerationJob(userID: f.alice, description: "a cat"), as: .user(f.alice))
            let done = try await f.client.completeGenerationJob(job, imageURL: "https://img.example/first.png", tokensCost: 10)
            for (sql, column) in [
                ("UPDATE public.generation_jobs SET status = 'completed', image_url = 'https://img.example/second.png', tokens_cost = 999 WHERE id = '\(job)'", "status"),
                ("UPDATE public.generation_jobs SET status = 'completed' WHERE id = '\(job)'", "status"),
                ("UPDATE public.generation_jobs SET image_url = NULL WHERE id = '\(job)'", "image_url"),
                ("UPDATE public.generation_jobs SET tokens_cost = 999 WHERE id = '\(job)'", "tokens_cost"),
                ("UPDATE public.generation_jobs SET status = 'failed', error_message = 'late' WHERE id = '\(job)'", "status"),
            ] {
                let refused = await #expect(throws: InvariantsError.self) { try await f.client.execute(PostgresQuery(unsafeSQL: sql)) }
                #expect(refused?.sqlState == "IV001", "\(sql): \(String(describing: refused))")
                #expect(refused?.column == column, "\(sql)")
            }
            let card = try require(done.generationID)
            #expect(try await f.text("SELECT image_url || ' ' || tokens_cost FROM public.generation_jobs WHERE id = '\(job)'")
                    == "https://img.example/first.png 10")
            #expect(try await f.client.generation(card, as: .user(f.alice)).images.map(\.url) == ["https://img.example/first.png"])
            // Columns outside the result stay writable (a card deleted later nulls generation_id).
            try await f.client.execute(PostgresQuery(unsafeSQL: "DELETE FROM public.generations WHERE id = '\(card)'"))
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs WHERE id = '\(job)' AND generation_id IS NULL") == 1)
        }
    }

    @Test("8 concurrent completions of one job: exactly one wins, the job and its card agree")
    func concurrentCompletions() async throws {
        try await withGenerations { f in
            for round in 0..<5 {
                let job = try await f.client.createGenerationJob(NewGenerationJob(userID: f.alice, description: "race \(round)"), as: .user(f.alice))
                let winners = await withTaskGroup(of: String?.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            let url = "https://img.example/\(round)-\(worker).png"
                            return (try? await f.client.completeGenerationJob(job, imageURL: url, tokensCost: Int64(worker + 1))) != nil ? url : nil
                        }
                    }
                    return await group.reduce(into: [String]()) { if let url = $1 { $0.append(url) } }
                }
                #expect(winners.count == 1, "round \(round): \(winners)")
                let jobURL = try await f.text("SELECT image_url FROM public.generation_jobs WHERE id = '\(job)'")
                let card = try require(try await f.client.generationJob(job, as: .user(f.alice)).generationID)
                #expect(try await f.client.generation(card, as: .user(f.alice)).images.map(\.url) == [jobURL])
                #expect(winners == [jobURL])
                #expect(try await f.count("SELECT count(*) FROM public.generations WHERE user_id = '\(f.alice)'") == Int64(round + 1))
            }
        }
    }
}

/// Issue 16, finding 13: what a user sends with a job is bounded.
@Suite("generations: job input limits")
struct GenerationsInputLimitsTests {
    @Test("a 1 MB description or image list is refused naming the check; nothing is written")
    func inputLimits() async throws {
        try await withGenerations { f in
            let huge = String(repeating: "x", count: 1_000_000)
            for (job, check) in [
                (NewGenerationJob(userID: f.alice, description: huge), "generation_jobs_description_length"),
                (NewGenerationJob(userID: f.alice, description: "a cat", productImagesJSON: "[\"\(huge)\"]"), "generation_jobs_product_images_size"),
            ] {
                let refused = await #expect(throws: InvariantsError.self) { try await f.client.createGenerationJob(job, as: .user(f.alice)) }
                #expect(refused?.sqlState == "23514")
                #expect(refused.map { String(reflecting: $0) }?.contains(check) == true, "\(String(describing: refused))")
            }
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs") == 0)
            _ = try await f.client.createGenerationJob(NewGenerationJob(userID: f.alice, description: String(repeating: "d", count: 10_000)), as: .user(f.alice))
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs") == 1)
        }
    }
}
