import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("Clone timing")
struct CloneTimingTests {
    @Test("sequential clones, connection opening timed separately")
    func sequentialClones() async throws {
        let server = try await ThrowawayPostgres.shared()
        let template = try await TemplateCloneTests.template(on: server)
        let clock = ContinuousClock()
        for _ in 0..<5 {
            let began = clock.now
            let connection = try await server.connectOverSocket()
            let connected = clock.now
            try await connection.close()
            let database = try await server.makeDatabase(from: template)
            print("socket connect+close \(connected - began); clone \(database.creationDuration)")
            try await database.drop()
        }
    }
}
