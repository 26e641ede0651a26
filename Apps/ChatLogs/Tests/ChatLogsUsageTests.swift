import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import SeedAppsTesting

@Suite("Seed 003: logging, usage and cost alerts")
struct ChatLogsUsageTests {
    @Test("a logged chat is in the owner's history and counted in usage_daily")
    func loggingAndUsage() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let first = try await f.log(f.alice, question: "q1", cost: Decimal(string: "0.012345")!, input: 10, output: 20)
            let second = try await f.log(f.alice, question: "q2", cost: Decimal(string: "0.000001")!, input: 1, output: 2)
            try await f.log(f.bob, question: "bob's")

            let history = try await f.client.chatHistory(as: .user(f.alice))
            #expect(history.map(\.id) == [second, first], "newest first, own only")
            #expect(history.last?.question == "q1")
            #expect(history.last?.cost == Decimal(string: "0.012345"))
            #expect(history.last?.toolsUsedJSON.contains("get_price") == true)

            let usage = try await f.client.usage(as: .user(f.alice))
            #expect(usage.count == 1)
            #expect(usage.first?.requests == 2)
            #expect(usage.first?.inputTokens == 11)
            #expect(usage.first?.outputTokens == 22)
            #expect(usage.first?.cost == Decimal(string: "0.012346"))
        }
    }

    @Test("usage stays exact under 8 concurrent loggers for one user and day")
    func concurrentLoggers() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let loggers = 8
            let perLogger = 15
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<loggers {
                    group.addTask {
                        for i in 0..<perLogger {
                            try await f.log(
                                f.alice, question: "w\(worker) #\(i)", cost: Decimal(string: "0.000123")!,
                                input: Int32(worker + 1), output: 7)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = Int64(loggers * perLogger)
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs") == total)
            #expect(try await f.count("SELECT requests FROM public.usage_daily") == total)
            #expect(try await f.count("SELECT input_tokens FROM public.usage_daily") == Int64((1...loggers).reduce(0, +) * perLogger))
            #expect(try await f.count("SELECT output_tokens FROM public.usage_daily") == 7 * total)
            #expect(try await f.count("SELECT (cost * 1000000)::bigint FROM public.usage_daily") == 123 * total)
            // The stored counters equal what chat_logs says, per user and UTC day.
            #expect(try await f.count("""
                SELECT count(*) FROM public.usage_daily AS d
                FULL JOIN (SELECT user_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS requests,
                                  sum(input_tokens) AS input_tokens, sum(cost) AS cost
                             FROM public.chat_logs GROUP BY 1, 2) AS l USING (user_id, day)
                WHERE d.requests IS DISTINCT FROM l.requests OR d.input_tokens IS DISTINCT FROM l.input_tokens
                   OR d.cost IS DISTINCT FROM l.cost
                """) == 0)
        }
    }

    @Test("deleting a log subtracts it from usage and keeps favorites' copies")
    func deletingALog() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let kept = try await f.log(f.alice, cost: Decimal(string: "0.5")!, input: 5, output: 6)
            let removed = try await f.log(f.alice, cost: Decimal(string: "0.25")!, input: 1, output: 1)
            let save = try await f.client.saveChat(removed, as: .user(f.alice))
            try await f.sql("DELETE FROM public.chat_logs WHERE id = \(removed)", as: .service)
            let usage = try await f.client.usage(as: .user(f.alice))
            #expect(usage.first?.requests == 1)
            #expect(usage.first?.cost == Decimal(string: "0.5"))
            #expect(usage.first?.inputTokens == 5)
            let saves = try await f.client.savedChats(as: .user(f.alice))
            #expect(saves.map(\.id) == [save])
            #expect(saves.first?.chatLogID == nil, "the log is gone, the copy stays")
            #expect(saves.first?.question == "What is AAPL at?")
            _ = kept
        }
    }

    @Test("a service-side update of created_at, tokens or cost moves the usage with it")
    func updatesFollow() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice, cost: Decimal(string: "0.2")!, input: 10, output: 20)
            try await f.log(f.alice, cost: Decimal(string: "0.1")!, input: 1, output: 2)
            try await f.sql(
                "UPDATE public.chat_logs SET created_at = created_at - interval '1 day', cost = 0.5, input_tokens = 11 WHERE id = \(log)",
                as: .service)
            let usage = try await f.client.usage(as: .user(f.alice))
            #expect(usage.count == 2)
            #expect(usage.map(\.requests) == [1, 1])
            #expect(usage.map(\.cost) == [Decimal(string: "0.1")!, Decimal(string: "0.5")!], "today, then yesterday")
            #expect(usage.map(\.inputTokens) == [1, 11])
            #expect(usage.map(\.outputTokens) == [2, 20])
            // A malformed update is refused like an insert.
            let bad = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.chat_logs SET output_tokens = -1 WHERE id = \(log)", as: .service)
            }
            #expect(bad?.column == "output_tokens")
        }
    }

    @Test("crossing the daily cost limit notifies exactly once, with ids only")
    func costAlertOnce() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            try await f.client.setDailyCostLimit(Decimal(string: "0.10")!, for: f.alice)
            try await f.client.setDailyCostLimit(Decimal(string: "100")!, for: f.bob)
            let listener = try await f.database.connect(logger: chatLogsQuiet)
            let payloads = try await listener.listen(on: CostAlert.channel) { notifications in
                // 8 concurrent loggers, 0.03 each: the total crosses 0.10 once (at the 4th log).
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            try await f.log(f.alice, question: "a\(worker)", cost: Decimal(string: "0.03")!)
                            try await f.log(f.bob, question: "b\(worker)", cost: Decimal(string: "0.03")!)
                        }
                    }
                    try await group.waitForAll()
                }
                // A rolled-back crossing notifies nothing (NOTIFY is transactional).
                try await f.client.setDailyCostLimit(Decimal(string: "1")!, for: f.bob)
                await #expect(throws: InvariantsError.self) {
                    try await f.client.run(as: .service) { conn in
                        try await conn.query(
                            "SELECT public.log_chat(\(f.bob)::uuid, 'x', 'y', '[]'::jsonb, 1, 1, 2::numeric, 'm')",
                            logger: chatLogsQuiet)
                        try await conn.query("SELECT 1/0", logger: chatLogsQuiet)
                    }
                }
                // Notifications arrive in commit order: once this one is seen, all earlier ones were.
                try await f.client.execute("SELECT pg_notify(\(CostAlert.channel), 'sentinel')")
                var seen: [String] = []
                for try await notification in notifications {
                    if notification.payload == "sentinel" { break }
                    seen.append(notification.payload)
                }
                return seen
            }
            try? await listener.close()

            #expect(payloads.count == 1, "exactly one alert: \(payloads)")
            let alert = try #require(payloads.first.flatMap(CostAlert.init(payload:)))
            // The alert's id only: no user, no day, no cost (anon may LISTEN too).
            let object = try JSONSerialization.jsonObject(with: Data(payloads[0].utf8)) as? [String: Any]
            #expect(Set(object?.keys.map { $0 } ?? []) == ["alert_id"])
            // Its owner reads it under RLS; another user cannot tell it from a missing one.
            let record = try await f.client.costAlert(alert.alertID, as: .user(f.alice))
            #expect(record.userID == f.alice && record.dailyCostLimit == Decimal(string: "0.10")!)
            #expect(record.cost > record.dailyCostLimit)
            let today = try await f.client.query("SELECT ((now() AT TIME ZONE 'UTC')::date)::text").first!.decode(String.self)
            #expect(record.day == today)
            let hidden = await #expect(throws: InvariantsError.self) { try await f.client.costAlert(alert.alertID, as: .user(f.bob)) }
            #expect(hidden?.kind == .notFound)
            let missing = await #expect(throws: InvariantsError.self) { try await f.client.costAlert(UUID(), as: .user(f.bob)) }
            #expect(missing?.kind == hidden?.kind && missing?.column == "alert_id" && hidden?.column == "alert_id")
            #expect(try await f.count("SELECT count(*) FROM public.cost_alerts") == 1)
            #expect(try await f.count("SELECT (cost * 100)::bigint FROM public.usage_daily WHERE user_id = '\(f.alice)'") == 24)
        }
    }
}
