import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import Generations
import SeedAppsTesting

@Suite("Seed 002: edit results join their source card, exactly once")
struct GenerationsTests {
    @Test("an edit appends to its source card with summed tokens; a non-edit makes a new card")
    func editAppends() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 10)
            let edit = try await f.edit(source, for: f.alice, url: "https://img.example/edit1.png", tokens: 7)
            #expect(edit.status == .completed)
            #expect(edit.generationID == source)

            let card = try await f.client.generation(source, as: .user(f.alice))
            #expect(card.images.map(\.url) == ["https://img.example/original.png", "https://img.example/edit1.png"])
            #expect(card.images.map(\.edited) == [false, true])
            #expect(card.images.last?.jobID == edit.id)
            #expect(card.images.last?.at != nil)
            #expect(card.tokensUsed == 17)
            #expect(card.prompt == "a cat")

            // A non-edit is a new card, as before.
            let other = try await f.card(for: f.alice, url: "https://img.example/second.png", tokens: 3)
            #expect(other != source)
            #expect(try await f.client.generations(as: .user(f.alice)).count == 2)
            #expect(try await f.count("SELECT count(*) FROM public.generations") == 2)
            // The seed poller's view, by task id, under RLS.
            let rows = try await f.client.run(as: .user(f.alice)) { conn in
                try await conn.query("SELECT status, image_url FROM public.generation_tasks WHERE id = \(edit.id)", logger: quietLogger)
                    .collect().map { try $0.decode((String, String?).self) }
            }
            #expect(rows.first?.0 == "completed")
            #expect(rows.first?.1 == "https://img.example/edit1.png")
            let bobSees = try await f.client.run(as: .user(f.bob)) { conn in
                try await conn.query("SELECT 1 FROM public.generation_tasks", logger: quietLogger).collect().count
            }
            #expect(bobSees == 0)
        }
    }

    @Test("the source id in description or product_images (legacy callers) works; malformed metadata falls back to a new card")
    func legacyMetadata() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 1)
            let lower = source.uuidString.lowercased()
            let legacy: [(String?, String?)] = [
                ("Make it brighter [sourceGenerationId=\(lower)]", nil),
                (#"{"sourceGenerationId": "\#(source.uuidString)"}"#, nil),
                (nil, #"[{"url": "https://p.example/1.png"}, {"sourceGenerationId": "\#(lower)"}]"#),
                (nil, #"{"metadata": {"source_generation_id": "\#(lower)"}}"#),
            ]
            for (description, images) in legacy {
                let job = try await f.client.createGenerationJob(
                    NewGenerationJob(userID: f.alice, category: "edit", description: description, productImagesJSON: images),
                    as: .service)
                let done = try await f.client.completeGenerationJob(job, imageURL: "https://img.example/\(job).png", tokensCost: 2)
                #expect(done.generationID == source, "\(description ?? images ?? "")")
            }
            let card = try await f.client.generation(source, as: .user(f.alice))
            #expect(card.images.count == 5)
            #expect(card.tokensUsed == 9)
            // Malformed metadata: a new card, nothing lost.
            for (description, images) in [("sourceGenerationId=not-a-uuid", nil), (nil, #"{"sourceGenerationId": 42}"#), (nil, #""just text""#)] {
                let job = try await f.client.createGenerationJob(
                    NewGenerationJob(userID: f.alice, category: "edit", description: description, productImagesJSON: images),
                    as: .user(f.alice))
                let done = try await f.client.completeGenerationJob(job, imageURL: "https://img.example/m.png", tokensCost: 1)
                #expect(done.generationID != source)
                #expect(done.generationID != nil)
            }
            #expect(try await f.count("SELECT count(*) FROM public.generations") == 4)
        }
    }

    @Test("completing twice appends once: a second completion is an illegal transition, a later rewrite is refused and appends nothing")
    func exactlyOnce() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 5)
            let job = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            try await f.client.markGenerationJobProcessing(job)
            // Two workers complete the same job at once: one wins, the other is refused.
            let results = await withTaskGroup(of: Result<GenerationJob, InvariantsError>.self) { group in
                for n in 0..<2 {
                    group.addTask {
                        do throws(InvariantsError) { return .success(try await f.client.completeGenerationJob(job, imageURL: "https://img.example/w\(n).png", tokensCost: 4)) }
                        catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: [Result<GenerationJob, InvariantsError>]()) { $0.append($1) }
            }
            #expect(results.filter { if case .success = $0 { true } else { false } }.count == 1)
            for case .failure(let error) in results {
                #expect(error.kind == .illegalTransition)
                #expect(error.message == "illegal transition of generation_jobs.status: completed -> completed" || error.message.contains("completed ->"))
            }
            let again = await #expect(throws: InvariantsError.self) {
                try await f.client.completeGenerationJob(job, imageURL: "https://img.example/again.png", tokensCost: 4)
            }
            #expect(again?.kind == .illegalTransition)
            let back = await #expect(throws: InvariantsError.self) { try await f.client.markGenerationJobProcessing(job) }
            #expect(back?.message == "illegal transition of generation_jobs.status: completed -> processing")
            #expect(back?.column == "status")
            // The service re-completing a completed job with another cost is refused (the result
            // is final) and appends nothing.
            let rewrite = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .service) { conn in
                    try await conn.query("UPDATE public.generation_jobs SET status = 'completed', tokens_cost = 99 WHERE id = \(job)", logger: quietLogger).collect()
                }
            }
            #expect(rewrite?.kind == .illegalTransition)
            let card = try await f.client.generation(source, as: .user(f.alice))
            #expect(card.images.count == 2)
            #expect(card.tokensUsed == 9)
        }
    }

    @Test("16 concurrent edits of one source: 16 images appended, exact token sum")
    func concurrentEdits() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 100)
            var jobs: [UUID] = []
            for _ in 0..<16 { jobs.append(try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))) }
            let ids = jobs
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, job) in ids.enumerated() {
                    group.addTask {
                        try await f.client.markGenerationJobProcessing(job)
                        try await f.client.completeGenerationJob(job, imageURL: "https://img.example/c\(n).png", tokensCost: Int64(n + 1))
                    }
                }
                try await group.waitForAll()
            }
            let card = try await f.client.generation(source, as: .user(f.alice))
            #expect(card.images.count == 17)
            #expect(Set(ids).isSubset(of: Set(card.images.compactMap(\.jobID))))
            #expect(card.tokensUsed == 100 + (1...16).reduce(0, +))
            #expect(try await f.count("SELECT count(*) FROM public.generations") == 1)
        }
    }

    @Test("a job naming another user's card never writes into it: the job's owner gets a new card; a deleted source falls back too")
    func sameOwnerOnly() async throws {
        try await withGenerations { f in
            let aliceCard = try await f.card(for: f.alice, tokens: 10)
            let before = try await f.text("SELECT to_jsonb(g)::text FROM public.generations g WHERE id = '\(aliceCard)'")
            // Bob names Alice's card directly: refused exactly as an unknown id (issue 16, finding 9;
            // GenerationsSameOwnerTests). Through the legacy description it becomes Bob's new card.
            let direct = await #expect(throws: InvariantsError.self) {
                try await f.client.createGenerationJob(.edit(of: aliceCard, for: f.bob), as: .user(f.bob))
            }
            #expect(direct?.kind == .foreignKeyViolation)
            let viaLegacy = try await f.client.createGenerationJob(
                NewGenerationJob(userID: f.bob, category: "edit", description: "sourceGenerationId=\(aliceCard)"), as: .user(f.bob))
            let legacyDone = try await f.client.completeGenerationJob(viaLegacy, imageURL: "https://img.example/bob2.png", tokensCost: 3)
            #expect(try await f.text("SELECT to_jsonb(g)::text FROM public.generations g WHERE id = '\(aliceCard)'") == before)
            for done in [legacyDone] {
                let card = try await f.client.generation(try #require(done.generationID), as: .user(f.bob))
                #expect(card.userID == f.bob)
                #expect(card.images.map(\.url) == [done.imageURL!])
                #expect(card.tokensUsed == 3)
            }
            // Bob cannot read Alice's card at all.
            await #expect(throws: InvariantsError.self) { try await f.client.generation(aliceCard, as: .user(f.bob)) }

            // Alice deletes a card while its edit runs: the edit becomes a new card.
            let doomed = try await f.card(for: f.alice, tokens: 1)
            let job = try await f.client.createGenerationJob(.edit(of: doomed, for: f.alice), as: .user(f.alice))
            try await f.client.run(as: .user(f.alice)) { conn in
                try await conn.query("DELETE FROM public.generations WHERE id = \(doomed)", logger: quietLogger).collect()
            }
            let done = try await f.client.completeGenerationJob(job, imageURL: "https://img.example/orphan.png", tokensCost: 2)
            let card = try await f.client.generation(try #require(done.generationID), as: .user(f.alice))
            #expect(card.images.map(\.edited) == [true])
            #expect(card.id != doomed)
        }
    }

    @Test("notifications carry ids only, for completed and failed jobs")
    func notificationPayloads() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 1)
            let listener = try await f.database.connect(logger: quietLogger)
            let payloads = try await listener.listen(on: GenerationNotification.channel) { notifications in
                let edit = try await f.edit(source, for: f.alice, url: "https://secret.example/private.png", tokens: 2)
                let failing = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
                try await f.client.failGenerationJob(failing, reason: "GPU on fire")
                try await f.client.execute("SELECT pg_notify(\(GenerationNotification.channel), 'sentinel')")
                var seen: [String] = []
                for try await notification in notifications {
                    if notification.payload == "sentinel" { break }
                    seen.append(notification.payload)
                }
                return (seen, edit.id, failing)
            }
            try? await listener.close()
            let (seen, editID, failedID) = payloads
            #expect(seen.count == 2, "\(seen)")
            for payload in seen {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
                #expect(Set(object.keys) == ["job_id", "generation_id"], "\(payload)")
                #expect(!payload.contains("secret") && !payload.contains("GPU") && !payload.contains(f.alice.uuidString.lowercased()))
            }
            #expect(GenerationNotification(payload: seen[0]) == GenerationNotification(payload: #"{"job_id": "\#(editID)", "generation_id": "\#(source)"}"#))
            #expect(GenerationNotification(payload: seen[1])?.jobID == failedID)
            #expect(GenerationNotification(payload: seen[1])?.generationID == nil)
            // The health check.
            let usage = try await f.client.notificationQueueUsage()
            #expect(usage >= 0 && usage < 0.5)
            await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .user(f.alice)) { conn in
                    try await conn.query("SELECT public.notification_queue_usage()", logger: quietLogger).collect()
                }
            }
        }
    }

    @Test("bad input is refused with a clear error and nothing is written")
    func badInput() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 10)
            let jobsBefore = try await f.count("SELECT count(*) FROM public.generation_jobs")
            // Unknown source card.
            let unknown = await #expect(throws: InvariantsError.self) {
                try await f.client.createGenerationJob(.edit(of: UUID(), for: f.alice), as: .user(f.alice))
            }
            #expect(unknown?.kind == .foreignKeyViolation)
            // product_images that is not JSON.
            let json = await #expect(throws: InvariantsError.self) {
                try await f.client.createGenerationJob(
                    NewGenerationJob(userID: f.alice, category: "edit", productImagesJSON: "{not json"), as: .user(f.alice))
            }
            #expect(json?.kind == .invalidInput)
            #expect(json?.column == "product_images")
            // A user cannot create a job for someone else, nor one that is already completed.
            await #expect(throws: InvariantsError.self) {
                try await f.client.createGenerationJob(.edit(of: source, for: f.bob), as: .user(f.alice))
            }
            await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .user(f.alice)) { conn in
                    try await conn.query(
                        "INSERT INTO public.generation_jobs (user_id, status, image_url) VALUES (\(f.alice), 'completed', 'x')",
                        logger: quietLogger).collect()
                }
            }
            #expect(try await f.count("SELECT count(*) FROM public.generation_jobs") == jobsBefore)

            // Completing without an image, with a negative cost: refused, the job stays pending, the card unchanged.
            let job = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let noImage = await #expect(throws: InvariantsError.self) {
                try await f.client.completeGenerationJob(job, imageURL: " ", tokensCost: 1)
            }
            #expect(noImage?.kind == .invalidInput)
            #expect(noImage?.column == "image_url")
            let negative = await #expect(throws: InvariantsError.self) {
                try await f.client.completeGenerationJob(job, imageURL: "https://img.example/n.png", tokensCost: -5)
            }
            #expect(negative?.kind == .checkViolation)
            #expect(try await f.client.generationJob(job, as: .user(f.alice)).status == .pending)
            let illegal = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .service) { conn in
                    try await conn.query("UPDATE public.generation_jobs SET status = 'done' WHERE id = \(job)", logger: quietLogger).collect()
                }
            }
            #expect(illegal?.kind == .illegalTransition)
            #expect(illegal?.message == "illegal transition of generation_jobs.status: pending -> done")

            // Malformed output_data (images not an array) cannot be stored: the card keeps its images.
            let malformed = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .service) { conn in
                    try await conn.query(
                        #"UPDATE public.generations SET output_data = '{"images": "https://img.example/x.png"}' WHERE id = \#(source)"#,
                        logger: quietLogger).collect()
                }
            }
            #expect(malformed?.kind == .checkViolation)
            #expect(malformed?.constraint == "generations_output_data_images_array")
            let card = try await f.client.generation(source, as: .user(f.alice))
            #expect(card.images.map(\.url) == ["https://img.example/original.png"])
            #expect(card.tokensUsed == 10)
            // A card without an images key (older data) gets the array on the first append.
            try await f.client.execute("UPDATE public.generations SET output_data = '{\"legacy\": true}' WHERE id = \(source)")
            try await f.edit(source, for: f.alice, url: "https://img.example/after.png", tokens: 1)
            #expect(try await f.text("SELECT output_data::text FROM public.generations WHERE id = '\(source)'").contains("\"legacy\": true"))
            #expect(try await f.client.generation(source, as: .user(f.alice)).images.map(\.url) == ["https://img.example/after.png"])
        }
    }
}
