import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema

struct ModulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules",
        abstract: "List the declared modules with their dependencies, and which a database holds.",
        discussion: """
            A module is the unit of installation: its own migration stream (sql/<module>/migrations), its own part of the repeatable set (sql/<module>/repeatable.sql) and the modules it needs. Given a database (--database-url or DATABASE_URL), also shows which modules it holds and at which version; changes nothing.

            Examples:
              invariants modules
              invariants modules --database-url postgres://postgres@localhost/app --json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print the list as JSON.")
    var json = false

    struct Entry: Encodable {
        var name: String
        var dependencies: [String]
        var summary: String
        var versions: Int
        var isDefault: Bool
        /// nil without a database.
        var installed: Bool?
        var chosen: Bool?
        var installedVersion: Int?
    }

    func run() async throws {
        let entries = try await failing {
            let catalog = try database.directory.load()
            var installed: [String: Bool]? = nil
            var versions: [String: Int] = [:]
            if database.databaseURL != nil || ProcessInfo.processInfo.environment["DATABASE_URL"] != nil {
                // modules: [] — what the database holds, never the default set.
                let migrator = try Migrator(catalog: catalog, options: .init(modules: []), logger: quietLogger)
                (installed, versions) = try await database.withConnection { connection, _ throws(InvariantsError) in
                    let status = try await migrator.status(on: connection)
                    var applied: [String: Int] = [:]
                    for migration in status.migrations where migration.state == .applied {
                        applied[migration.module] = max(applied[migration.module] ?? 0, migration.version)
                    }
                    return (try await migrator.installedModules(on: connection), applied)
                }
            }
            return catalog.modules.map { module in
                Entry(name: module.name, dependencies: module.dependencies, summary: module.summary, versions: module.migrations.count,
                      isDefault: catalog.defaultModules.contains(module.name), installed: installed.map { $0[module.name] != nil },
                      chosen: installed?[module.name], installedVersion: installed == nil ? nil : versions[module.name])
            }
        }
        if json { return try printJSON(entries) }
        for entry in entries {
            var line = entry.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            if let installed = entry.installed {
                let state = installed ? "installed at \(entry.installedVersion ?? 0)/\(entry.versions)\(entry.chosen == false ? " (dependency)" : "")" : "not installed"
                line += state.padding(toLength: 34, withPad: " ", startingAt: 0)
            }
            line += entry.summary
            print(line)
            print("    " + (entry.dependencies.isEmpty ? "needs nothing" : "needs " + entry.dependencies.joined(separator: ", "))
                  + (entry.isDefault ? "; in the default set" : ""))
        }
    }
}
