import Foundation
import InvariantsSchema
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

/// Modules as the unit of installation: dependency order, closures, ownership of shared objects,
/// the manifest, and the module streams' equivalence with the linear history they replace.
@Suite struct ModuleCatalogTests {
    func module(_ name: String, _ dependencies: [String] = [], objects: [RepeatableObject] = []) -> Module {
        Module(name, dependsOn: dependencies, summary: "\(name) module",
               migrations: [Migration(module: name, version: 1, name: name, source: "t", steps: [MigrationStep("SELECT 1")])],
               repeatables: objects)
    }

    func object(_ key: String, _ sql: String = "SELECT 1") -> RepeatableObject {
        RepeatableObject(kind: .function, key: key, source: "t", statements: [sql], dropStatements: ["DROP FUNCTION f()"])
    }

    @Test("modules are ordered by dependency, and a closure brings every dependency")
    func ordering() throws {
        let catalog = try Catalog(modules: [module("forum", ["auth", "core"]), module("auth", ["core"]), module("core")])
        #expect(catalog.modules.map(\.name) == ["core", "auth", "forum"])
        #expect(try catalog.closure(of: ["forum"]).map(\.name) == ["core", "auth", "forum"])
        #expect(try catalog.closure(of: ["auth"]).map(\.name) == ["core", "auth"])
        #expect(try catalog.restricted(to: ["auth"]).migrations.map(\.label) == ["core/0001_core.sql", "auth/0001_auth.sql"])
    }

    @Test("an unknown module, an unknown dependency, a cycle and a duplicate are refused by name")
    func badModules() throws {
        let catalog = try Catalog(modules: [module("core"), module("gig_responses", ["core"])])
        #expect(throws: SchemaError("unknown module 'gigs'; declared: core, gig_responses")) { try catalog.closure(of: ["gigs"]) }
        #expect(throws: SchemaError("module forum depends on auth, which is not declared")) {
            try Catalog(modules: [module("forum", ["auth"])])
        }
        #expect(throws: SchemaError("modules depend on each other in a cycle: a → b → a")) {
            try Catalog(modules: [module("a", ["b"]), module("b", ["a"])])
        }
        #expect(throws: SchemaError("module a is declared twice")) { try Catalog(modules: [module("a"), module("a")]) }
        #expect(throws: SchemaError.self) { try Catalog(modules: [module("Bad-Name")]) }
    }

    @Test("an object shared with a dependency belongs to the dependency; unrelated modules may not share one")
    func ownership() throws {
        let shared = object("function invariants.touch()")
        let catalog = try Catalog(modules: [module("core", objects: [shared]), module("forum", ["core"], objects: [shared, object("function f()")])])
        #expect(catalog.owners["function invariants.touch()"] == "core")
        #expect(catalog.repeatables(of: "forum").map(\.key) == ["function f()"])
        #expect(catalog.repeatables.count == 2)
        #expect(throws: SchemaError.self) {
            try Catalog(modules: [module("a", objects: [shared]), module("b", objects: [shared])])
        }
        #expect(throws: SchemaError.self) {
            try Catalog(modules: [module("core", objects: [shared]), module("forum", ["core"], objects: [object("function invariants.touch()", "SELECT 2")])])
        }
    }

    @Test("the manifest renders and parses back")
    func manifest() throws {
        let catalog = ProjectCatalog.catalog
        let parsed = try ModuleManifest.parse(ModuleManifest(catalog).render())
        #expect(parsed == ModuleManifest(catalog))
        #expect(parsed.defaultModules == ["model_work_record", "chat_logs", "gig_responses", "generations", "support_chat"])
        #expect(parsed.modules.first { $0.name == "gig_responses" }?.dependencies == ["core", "auth"])
        #expect(throws: SchemaError.self) { try ModuleManifest.parse("modul core\n") }
    }

    /// The module streams replace the linear history of releases 0.1 and 0.2: each linear
    /// migration must create exactly what its module versions create, statement for statement,
    /// or an upgraded database would differ from a fresh one.
    @Test("every linear migration equals its module versions, step for step")
    func linearEquivalence() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = ProjectCatalog.catalog
        #expect(catalog.linearHistory.map(\.version) == Array(1...8))
        for linear in catalog.linearHistory {
            let text = try String(contentsOf: root.appendingPathComponent("sql/linear/migrations/" + linear.fileName), encoding: .utf8)
            let released = try MigrationFile.parse(text, fileName: linear.fileName)
            let modules = linear.equivalents.map { catalog.module(named: $0.module)!.migrations[$0.version - 1] }
            #expect(released.steps == modules.flatMap(\.steps), "\(linear.fileName) ≠ \(linear.equivalents)")
            #expect(modules.allSatisfy { $0.lockTimeoutMilliseconds == released.lockTimeoutMilliseconds })
        }
        // Every module version released with 0.3 (the first module release, which froze the
        // streams at what the linear history had created) is mapped; later ones are new.
        let mapped = Set(catalog.linearHistory.flatMap(\.equivalents))
        let releasedWith03: Set<ModuleVersion> = [
            ModuleVersion("core", 1), ModuleVersion("core", 2), ModuleVersion("auth", 1), ModuleVersion("chat_logs", 1),
            ModuleVersion("chat_logs", 2), ModuleVersion("generations", 1), ModuleVersion("gig_responses", 1),
            ModuleVersion("model_work_record", 1), ModuleVersion("support_chat", 1),
        ]
        #expect(mapped == releasedWith03, "every module version of release 0.2's scope is mapped")
        let all = Set(catalog.modules.flatMap { module in module.migrations.map { ModuleVersion(module.name, $0.version) } })
        #expect(all.isSuperset(of: releasedWith03))
    }
}
