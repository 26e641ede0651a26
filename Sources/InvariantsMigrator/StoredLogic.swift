public import InvariantsSchema
import Invariants
import PostgresNIO

/// Where a database gets its stored functions from.
public enum StoredLogic: Sendable, Hashable, CustomStringConvertible {
    /// `sql/repeatable.sql`: the migrator creates the functions itself (the default).
    case repeatableSet
    /// `CREATE EXTENSION invariants VERSION '<version>'` (the control file's default_version,
    /// whose functions equal the repeatable set's). Triggers, views, policies and grants still
    /// come from the repeatable set.
    case `extension`(version: String)
    /// Keep the database's route: the extension (at `extensionVersion`) where it is
    /// installed, the repeatable set elsewhere. The CLI's default.
    case keep(extensionVersion: String?)

    public var description: String {
        switch self {
        case .repeatableSet: "the repeatable set"
        case .extension(let version): "extension \(ExtensionScript.extensionName) \(version)"
        case .keep: "the database's current route"
        }
    }

    /// The concrete route for a database in `ledger`'s state.
    func resolved(_ ledger: LedgerState) -> StoredLogic {
        guard case .keep(let version) = self else { return self }
        guard let installed = ledger.extensionVersion else { return .repeatableSet }
        return .extension(version: version ?? installed)
    }
}

/// What the migrator does about the extension in this run.
enum ExtensionAction: Sendable, Hashable {
    case none
    case install(version: String)
    case update(from: String, to: String)
    /// No update path (an older dev version): drop dependents, drop and re-create the extension.
    case reinstall(from: String, to: String)
    /// The repeatable set's functions become the extension's: drop dependents and the
    /// functions, create the extension, re-create the dependents.
    case switchToExtension(version: String)
    /// The extension's functions become free-standing (`ALTER EXTENSION … DROP FUNCTION`),
    /// then the empty extension is dropped; nothing else is touched.
    case switchToRepeatableSet(from: String)

    var description: String? {
        switch self {
        case .none: nil
        case .install(let v): "install extension \(ExtensionScript.extensionName) \(v)"
        case .update(let from, let to): "update extension \(ExtensionScript.extensionName) \(from) → \(to)"
        case .reinstall(let from, let to): "re-create extension \(ExtensionScript.extensionName) \(from) → \(to) (no update path)"
        case .switchToExtension(let v): "switch the functions from the repeatable set to extension \(ExtensionScript.extensionName) \(v)"
        case .switchToRepeatableSet(let from): "switch the functions from extension \(ExtensionScript.extensionName) \(from) to the repeatable set"
        }
    }

    /// Dependents (triggers, views, policies, grants) are dropped and re-created around it.
    var recreatesDependents: Bool {
        switch self {
        case .reinstall, .switchToExtension: true
        default: false
        }
    }
}

extension Migrator {
    static let extensionSQL = SQLText.identifier(ExtensionScript.extensionName)

    func extensionAction(_ ledger: LedgerState, catalog: Catalog) -> ExtensionAction {
        let installed = ledger.extensionVersion
        switch options.storedLogic.resolved(ledger) {
        case .keep: return .none
        case .repeatableSet:
            return installed.map { .switchToRepeatableSet(from: $0) } ?? .none
        case .extension(let target):
            guard let installed else {
                let hasFunctions = ledger.repeatables.values.contains { ExtensionScript.isFunction(kind: $0.kind) }
                return hasFunctions ? .switchToExtension(version: target) : .install(version: target)
            }
            if installed == target { return .none }
            return ledger.extensionUpdatePaths.contains(installed + " → " + target) ? .update(from: installed, to: target) : .reinstall(from: installed, to: target)
        }
    }

    /// The statements the plan sends for `action` (dependents aside).
    func extensionStatements(_ action: ExtensionAction, ledger: LedgerState) -> [String] {
        let name = Self.extensionSQL
        switch action {
        case .none: return []
        case .install(let v): return ["CREATE EXTENSION \(name) VERSION \(SQLText.literal(v))"]
        case .update(_, let to): return ["ALTER EXTENSION \(name) UPDATE TO \(SQLText.literal(to))"]
        case .reinstall(_, let to): return ["DROP EXTENSION \(name)", "CREATE EXTENSION \(name) VERSION \(SQLText.literal(to))"]
        case .switchToExtension(let v):
            let drops = ledger.repeatables.filter { ExtensionScript.isFunction(kind: $0.value.kind) }.sorted { $0.key < $1.key }.flatMap(\.value.dropStatements)
            return drops + ["CREATE EXTENSION \(name) VERSION \(SQLText.literal(v))"]
        case .switchToRepeatableSet:
            return ledger.extensionMembers.map { "ALTER EXTENSION \(name) DROP FUNCTION \($0)" } + ["DROP EXTENSION \(name)"]
        }
    }

    /// Refuses early, with the fix, when the server lacks the target version's script.
    func checkAvailable(_ action: ExtensionAction, ledger: LedgerState) throws(InvariantsError) {
        guard case .extension(let target) = options.storedLogic.resolved(ledger), action != .none, !ledger.availableExtensionVersions.contains(target) else { return }
        let available = ledger.availableExtensionVersions.sorted()
        throw InvariantsError(.migrationFailed,
            "extension \(ExtensionScript.extensionName) version \(target) is not installed on the database server"
                + (available.isEmpty ? "" : " (it has \(available.joined(separator: ", ")))"),
            hint: "on the database host: make -C extension install (PGXS, needs postgresql-server-dev and root); or migrate with --stored-logic repeatable")
    }
}

extension PostgresRow {
    func value<T: PostgresDecodable>(_ type: T.Type) throws(InvariantsError) -> T {
        do { return try self.decode(type) } catch {
            throw InvariantsError(.server, "unexpected row shape: \(String(reflecting: error))")
        }
    }
}

/// Runs a row decode, mapping its failure to ``InvariantsError``.
func decoding<T>(_ body: () throws -> T) throws(InvariantsError) -> T {
    do { return try body() } catch {
        throw InvariantsError(.server, "unexpected row shape: \(String(reflecting: error))")
    }
}
