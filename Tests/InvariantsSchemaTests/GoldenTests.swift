import Foundation
import InvariantsSchema
import Testing

/// Rendered SQL compared byte for byte with files under `Golden/`.
/// Set `INVARIANTS_RECORD_GOLDEN=1` to rewrite them (then review the diff).
@Suite struct GoldenTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    func expectGolden(_ name: String, _ actual: String) throws {
        let url = Self.goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["INVARIANTS_RECORD_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "golden \(name) differs")
    }

    @Test func representativeTable() throws {
        let text = Script.steps(Fixtures.users.createSteps() + Fixtures.workspaceMembers.createSteps()
            + Fixtures.sessions.createSteps())
        try expectGolden("sessions_table.sql", text)
    }

    @Test func updatedAtObjects() throws {
        try expectGolden("updated_at.sql", Script.objects(Fixtures.updatedAtObjects))
    }

    /// One counter group (filtered count + sum over a foreign-key link) in each strategy,
    /// and the seed's polymorphic link.
    @Test(arguments: ["row", "statement", "deltas"])
    func counterCache(strategy: String) throws {
        let projects = Table("public", "projects") {
            Column("id", .bigint, nullable: false)
            Column("workspace_id", .uuid, nullable: false)
            Column("open_tasks", .integer, nullable: false, default: "0")
            Column("estimate", .numeric, nullable: false, default: "0")
            PrimaryKey("id")
        }
        let tasks = Table("public", "tasks") {
            Column("id", .bigint, nullable: false)
            Column("project_id", .bigint)
            Column("state", .text, nullable: false)
            Column("hours", .numeric)
            PrimaryKey("id")
        }
        let counter = CounterCache(
            name: "project_tasks", parent: projects, child: tasks, link: .foreignKey("project_id"), scope: "workspace_id",
            counters: [.count("open_tasks", where: .init("state", in: ["open", "reopened"])), .sum("hours", into: "estimate")],
            strategy: CounterCache.Strategy(rawValue: strategy)!)
        try expectGolden("counter_cache_\(strategy).sql", Script.steps(counter.migrationSteps()) + Script.objects(counter.repeatableObjects()))
    }

    @Test func migrationHelpers() throws {
        try expectGolden("migration_helpers.sql", Script.steps(Fixtures.helperSteps))
    }

    @Test func renderingIsDeterministic() throws {
        #expect(Fixtures.sessions.createSteps() == Fixtures.sessions.createSteps())
        let again = try RepeatableObject.merged([
            UpdatedAt(Fixtures.sessions).repeatableObjects(),
            UpdatedAt(Fixtures.documents).repeatableObjects(),
        ])
        #expect(again == Fixtures.updatedAtObjects)
        #expect(Fixtures.hostile.createSteps() == Fixtures.hostile.createSteps())
    }

    @Test func representativeTableIsValid() {
        #expect(Fixtures.sessions.validationErrors() == [])
        #expect(Fixtures.hostile.validationErrors() == [])
    }
}
