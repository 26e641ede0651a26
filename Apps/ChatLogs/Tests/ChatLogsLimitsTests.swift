import Foundation
import Invariants
import PostgresNIO
import Testing
import ChatLogs

/// Issue 16, finding 13: a favorite's text is bounded (1 MB strings were accepted).
@Suite("Seed 003: favorites' text limits")
struct ChatLogsLimitsTests {
    @Test("a standalone favorite with a 1 MB question or response is refused naming the check; within the limits it is kept")
    func standaloneFavoriteLimits() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let huge = String(repeating: "x", count: 1_000_000)
            for (question, response, check) in [
                (huge, "r", "saved_chats_question_length"), ("q", huge, "saved_chats_response_length"),
            ] {
                let refused = await #expect(throws: InvariantsError.self) {
                    try await f.client.run(as: .user(f.alice)) { conn in
                        try await conn.query("""
                            INSERT INTO public.saved_chats (user_id, question, response) VALUES (\(f.alice), \(question), \(response))
                            """, logger: chatLogsQuiet).collect()
                    }
                }
                #expect(refused?.sqlState == "23514")
                #expect(refused.map { String(reflecting: $0) }?.contains(check) == true, "\(String(describing: refused))")
            }
            try await f.client.run(as: .user(f.alice)) { conn in
                try await conn.query("""
                    INSERT INTO public.saved_chats (user_id, question, response)
                    VALUES (\(f.alice), \(String(repeating: "q", count: 20_000)), \(String(repeating: "r", count: 200_000)))
                    """, logger: chatLogsQuiet).collect()
            }
            #expect(try await f.client.savedChats(as: .user(f.alice)).count == 1)
        }
    }
}
