import Invariants
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

@Suite("DatabaseURL")
struct DatabaseURLTests {
    @Test("the standard form, with defaults")
    func standard() throws {
        let url = try DatabaseURL("postgres://app:s%40cr%3At@db.example.com:6432/shop?sslmode=require&application_name=api")
        #expect(url.user == "app")
        #expect(url.password == "s@cr:t")
        #expect(url.host == "db.example.com")
        #expect(url.port == 6432)
        #expect(url.database == "shop")
        #expect(url.sslMode == .require)
        #expect(url.applicationName == "api")
        #expect(url.description == "postgres://app:***@db.example.com:6432/shop", "the password never shows")

        let minimal = try DatabaseURL("postgresql://me@localhost")
        #expect(minimal.port == 5432 && minimal.database == "me" && minimal.sslMode == .prefer && minimal.password == nil)

        let socket = try DatabaseURL("postgres://postgres@/app?host=/tmp/pg&port=5433")
        #expect(socket.socketDirectory == "/tmp/pg" && socket.host == nil && socket.port == 5433 && socket.sslMode == .disable)
        #expect(socket.endpoint == "/tmp/pg/.s.PGSQL.5433")
    }

    @Test("malformed URLs name the problem", arguments: [
        ("", "it is empty"),
        ("mysql://u@h/db", "scheme 'mysql'"),
        ("postgres://h:5432/db", "no user name"),
        ("postgres://u@h:99999/db", "out of range"),
        ("postgres://u@h/db?sslmode=maybe", "sslmode 'maybe'"),
        ("postgres://u@h/db?colour=blue", "unknown parameter 'colour'"),
        ("postgres://u@h/a/b", "contains '/'"),
        ("not a url at all", "invalid database URL"),
    ])
    func malformed(text: String, expected: String) {
        let error = #expect(throws: InvariantsError.self) { try DatabaseURL(text) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }
}
