import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import SeedAppsTesting

@Suite("Seed 003: bad input is refused with IV422 naming the field, nothing written")
struct ChatLogsBadInputTests {
    static let malformedTools = [
        #"{"name": "x"}"#,             // not an array
        #"[1]"#,                       // not objects
        #"[{"nam": "typo"}]"#,         // no name
        #"[{"name": ""}]"#,            // empty name
        #"[{"name": 42}]"#,            // name not a string
        #"[[{"name": "nested"}]]"#,    // nested array
        #"[{"name": "ok"}, null]"#,    // one bad element
        #""[]""#,                      // a JSON string
    ]

    @Test("malformed tools_used", arguments: malformedTools)
    func malformedToolsUsed(json: String) async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let error = await #expect(throws: InvariantsError.self) {
                try await f.client.logChat(ChatLogEntry(userID: f.alice, question: "q", response: "r", toolsUsedJSON: json))
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.sqlState == "IV422")
            #expect(error?.column == "tools_used")
            // The seed's direct insert as the service gets the same answer.
            let direct = await #expect(throws: InvariantsError.self) {
                try await f.sql(
                    "INSERT INTO public.chat_logs (user_id, question, response, tools_used) VALUES (\(f.alice), 'q', 'r', \(json)::jsonb)",
                    as: .service)
            }
            #expect(direct?.column == "tools_used")
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.usage_daily") == 0)
        }
    }

    @Test("negative tokens or cost, an over-long model")
    func negativeNumbers() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let cases: [(ChatLogEntry, String)] = [
                (ChatLogEntry(userID: f.alice, question: "q", response: "r", inputTokens: -1), "input_tokens"),
                (ChatLogEntry(userID: f.alice, question: "q", response: "r", outputTokens: -5), "output_tokens"),
                (ChatLogEntry(userID: f.alice, question: "q", response: "r", cost: Decimal(string: "-0.000001")), "cost"),
                (ChatLogEntry(userID: f.alice, question: "q", response: "r", model: String(repeating: "m", count: 51)), "model"),
            ]
            for (entry, column) in cases {
                let error = await #expect(throws: InvariantsError.self) { try await f.client.logChat(entry) }
                #expect(error?.kind == .invalidInput, "\(column)")
                #expect(error?.column == column)
            }
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.usage_daily") == 0)
            // Exactly at the limits is fine.
            try await f.client.logChat(ChatLogEntry(
                userID: f.alice, question: "q", response: "r", inputTokens: 0, outputTokens: 0, cost: 0,
                model: String(repeating: "m", count: 50)))
            #expect(try await f.count("SELECT requests FROM public.usage_daily") == 1)
        }
    }

    @Test("an oversized note (over the seed's 500 characters)")
    func oversizedNote() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice)
            let error = await #expect(throws: InvariantsError.self) {
                try await f.client.saveChat(log, note: String(repeating: "n", count: 501), as: .user(f.alice))
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.column == "note")
            #expect(try await f.count("SELECT count(*) FROM public.saved_chats") == 0)
            try await f.client.saveChat(log, note: String(repeating: "ü", count: 500), as: .user(f.alice))
            #expect(try await f.count("SELECT count(*) FROM public.saved_chats") == 1)
        }
    }

    @Test("logging for a user that does not exist")
    func unknownUser() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let error = await #expect(throws: InvariantsError.self) { try await f.log(UUID()) }
            #expect(error?.kind == .foreignKeyViolation)
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.usage_daily") == 0)
        }
    }
}
