import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import SeedAppsTesting

@Suite("Seed 003: favorites")
struct ChatLogsSavingTests {
    @Test("saving an own log copies its question and response; list and remove")
    func saveOwnLog() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice, question: "Should I buy?")
            let save = try await f.client.saveChat(log, note: "good answer", as: .user(f.alice))
            let saves = try await f.client.savedChats(as: .user(f.alice))
            #expect(saves.count == 1)
            #expect(saves.first?.id == save)
            #expect(saves.first?.chatLogID == log)
            #expect(saves.first?.question == "Should I buy?")
            #expect(saves.first?.response == "About 190.")
            #expect(saves.first?.note == "good answer")

            let twice = await #expect(throws: InvariantsError.self) { try await f.client.saveChat(log, as: .user(f.alice)) }
            #expect(twice?.kind == .conflict)
            #expect(twice?.sqlState == "IV409")
            #expect(twice?.column == "chat_log_id")
            #expect(twice?.message == "chat log \(log) is already saved")
            #expect(try await f.client.savedChats(as: .user(f.alice)).count == 1)

            try await f.client.removeSavedChat(save, as: .user(f.alice))
            #expect(try await f.client.savedChats(as: .user(f.alice)).isEmpty)
            let again = await #expect(throws: InvariantsError.self) { try await f.client.removeSavedChat(save, as: .user(f.alice)) }
            #expect(again?.kind == .notFound)
        }
    }

    @Test("the seed's direct INSERT (user_id, chat_log_id) works under RLS and copies the text")
    func seedDirectInsert() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice, question: "Direct?")
            // As the seed's frontend does: supabase.from('saved_chats').insert({user_id, chat_log_id}).
            try await f.sql(
                "INSERT INTO public.saved_chats (user_id, chat_log_id) VALUES (\(f.alice), \(log))", as: .user(f.alice))
            // Text the client sends along is replaced by the copy.
            let other = try await f.log(f.alice, question: "Second")
            try await f.sql(
                "INSERT INTO public.saved_chats (user_id, chat_log_id, question, response) VALUES (\(f.alice), \(other), 'forged', 'forged')",
                as: .user(f.alice))
            let saves = try await f.client.savedChats(as: .user(f.alice))
            #expect(Set(saves.map(\.question)) == ["Direct?", "Second"])
            #expect(saves.allSatisfy { $0.response == "About 190." })
        }
    }

    @Test("saving another user's log or a missing log is refused as not found; nothing written")
    func saveOthersLogRefused() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let bobsLog = try await f.log(f.bob, question: "Bob's secret")
            let viaFunction = await #expect(throws: InvariantsError.self) { try await f.client.saveChat(bobsLog, as: .user(f.alice)) }
            #expect(viaFunction?.kind == .notFound)
            #expect(viaFunction?.column == "chat_log_id")

            let missing = await #expect(throws: InvariantsError.self) { try await f.client.saveChat(999_999, as: .user(f.alice)) }
            #expect(missing?.kind == .notFound)
            #expect(missing?.message == "chat log 999999 not found", "same message as for another user's log")
            #expect(viaFunction?.message == "chat log \(bobsLog) not found")

            let direct = await #expect(throws: InvariantsError.self) {
                try await f.sql(
                    "INSERT INTO public.saved_chats (user_id, chat_log_id) VALUES (\(f.alice), \(bobsLog))", as: .user(f.alice))
            }
            #expect(direct?.kind == .notFound)
            // Claiming to be Bob does not help either.
            await #expect(throws: InvariantsError.self) {
                try await f.sql(
                    "INSERT INTO public.saved_chats (user_id, chat_log_id) VALUES (\(f.bob), \(bobsLog))", as: .user(f.alice))
            }
            // Even the service (which bypasses RLS) cannot file Bob's log under Alice.
            let service = await #expect(throws: InvariantsError.self) {
                try await f.sql(
                    "INSERT INTO public.saved_chats (user_id, chat_log_id) VALUES (\(f.alice), \(bobsLog))", as: .service)
            }
            #expect(service?.kind == .notFound)
            #expect(try await f.count("SELECT count(*) FROM public.saved_chats") == 0)
        }
    }
}
