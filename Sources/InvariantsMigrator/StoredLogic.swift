import InvariantsSchema
import Invariants
import PostgresNIO

/// Where a database gets its stored functions from.
public enum StoredLogic: Sendable, Hashable, CustomStringConvertible {
    /// `sql/<module>/repeatable.sql`: the migrator creates the functions itself (the default).
    case repeatableSet
    /// One extension per installed module with functions, `CREATE EXTENSION invariants_<module>
    /// VERSION '<version>'` (module → its control file's default_version, whose functions equal
    /// the module's repeatable set's; a module not listed gets the server's default version).
    /// Triggers, views, policies and grants still come from the repeatable set.
    case `extension`(versions: [String: String])
    /// Keep the database's route: the extensions (at `extensionVersions`, else the installed
    /// ones) where one is installed, the repeatable set elsewhere. The CLI's default.
    case keep(extensionVersions: [String: String]?)

    public var description: String {
        switch self {
        case .repeatableSet: "the repeatable set"
        case .extension(let versions): "the module extensions " + Self.summary(versions)
        case .keep: "the database's current route"
        }
    }

    /// `invariants_<module> 0.2` when every module has one version, else each one.
    static func summary(_ versions: [String: String]) -> String {
        let distinct = Set(versions.values)
        if distinct.count == 1, let only = distinct.first { return "\(ExtensionScript.modulePrefix)<module> \(only)" }
        if distinct.isEmpty { return "\(ExtensionScript.modulePrefix)<module>" }
        return versions.sorted { $0.key < $1.key }.map { "\(ExtensionScript.extensionName(module: $0.key)) \($0.value)" }.joined(separator: ", ")
    }

    /// The concrete route for a database in `ledger`'s state.
    func resolved(_ ledger: LedgerState) -> StoredLogic {
        guard case .keep(let versions) = self else { return self }
        guard ledger.legacyExtensionVersion != nil || !ledger.moduleExtensions.isEmpty else { return .repeatableSet }
        return .extension(versions: versions ?? ledger.moduleExtensions.reduce(into: [:]) { result, entry in
            if let module = ExtensionScript.module(ofExtension: entry.key) { result[module] = entry.value }
        })
    }
}

/// What the migrator does about the extensions in this run: changes to single extensions, in
/// the order their statements run.
struct ExtensionChanges: Sendable, Hashable {
    enum Change: Sendable, Hashable {
        /// `CREATE EXTENSION` (adopting the module's functions where they exist free-standing).
        case install(String, version: String?)
        case update(String, from: String, to: String)
        /// No update path (an older dev version), or a required extension is re-created: the
        /// functions leave it, it is dropped and created again (adopting them).
        case reinstall(String, from: String, to: String?)
        /// The functions leave it (`ALTER EXTENSION … DROP FUNCTION`; they stay, with their
        /// triggers), then the empty extension is dropped.
        case release(String, from: String)
        /// `invariants` (releases 0.1/0.2) updates to its empty version, releasing its functions
        /// for the module extensions (created next); dropped at the end.
        case moveOffLegacy(from: String, viaUpdate: Bool)
    }
    var changes: [Change] = []
    /// The repeatable set's functions are adopted by extensions (nothing was installed).
    var fromRepeatableSet = false

    var isEmpty: Bool { changes.isEmpty }

    var description: String? {
        guard !changes.isEmpty else { return nil }
        let created = changes.compactMap { change -> String? in
            switch change {
            case .install(let name, let version): name + (version.map { " " + $0 } ?? "")
            default: nil
            }
        }
        var parts: [String] = []
        for change in changes {
            switch change {
            case .moveOffLegacy(let from, _):
                parts.append("move the functions from extension \(ExtensionScript.legacyName) \(from) to the module extensions (same functions, OIDs and triggers)")
            case .install:
                continue
            case .update(let name, let from, let to): parts.append("update extension \(name) \(from) → \(to)")
            case .reinstall(let name, let from, let to): parts.append("re-create extension \(name) \(from) → \(to ?? "default") (no update path; its functions are kept)")
            case .release(let name, let from): parts.append("release the functions from extension \(name) \(from) and drop it")
            }
        }
        if !created.isEmpty {
            parts.append((fromRepeatableSet ? "switch the functions from the repeatable set to extension(s) " : "install extension(s) ") + created.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}

extension Migrator {
    /// The extension changes that take `ledger`'s database to the route of `options`, for the
    /// modules of `restricted` (dependency order).
    func extensionChanges(_ ledger: LedgerState, catalog restricted: Catalog) -> ExtensionChanges {
        var result = ExtensionChanges()
        let installed = ledger.moduleExtensions
        let extensions = ExtensionScript.moduleExtensions(restricted)
        // Installed module extensions, dependencies first (as the catalog orders modules), then any others.
        let order = restricted.modules.map { ExtensionScript.extensionName(module: $0.name) }
        // Only this catalog's modules' extensions are touched (another app's stay as they are).
        let installedInOrder = installed.keys.filter { ExtensionScript.module(ofExtension: $0).flatMap(catalog.module(named:)) != nil }.sorted { (order.firstIndex(of: $0) ?? Int.max, $0) < (order.firstIndex(of: $1) ?? Int.max, $1) }
        switch options.storedLogic.resolved(ledger) {
        case .keep: return result
        case .repeatableSet:
            if let legacy = ledger.legacyExtensionVersion { result.changes.append(.release(ExtensionScript.legacyName, from: legacy)) }
            for name in installedInOrder.reversed() { result.changes.append(.release(name, from: installed[name]!)) }
        case .extension(let versions):
            if let legacy = ledger.legacyExtensionVersion {
                result.changes.append(.moveOffLegacy(from: legacy,
                    viaUpdate: ledger.extensionUpdatePaths[ExtensionScript.legacyName]?.contains(legacy + " → " + ExtensionScript.legacyFinalVersion) == true))
            }
            let wanted = Dictionary(uniqueKeysWithValues: extensions.map { (ExtensionScript.extensionName(module: $0.module), $0) })
            // Re-created: those without an update path, and every installed one requiring one of those.
            var reinstalled = Set<String>()
            for entry in extensions {
                let name = ExtensionScript.extensionName(module: entry.module)
                guard let from = installed[name] else { continue }
                let to = versions[entry.module]
                let noPath = to.map { $0 != from && ledger.extensionUpdatePaths[name]?.contains(from + " → " + $0) != true } ?? false
                if noPath || entry.requires.contains(where: reinstalled.contains) { reinstalled.insert(name) }
            }
            for entry in extensions {
                let name = ExtensionScript.extensionName(module: entry.module)
                let to = versions[entry.module]
                if let from = installed[name] {
                    if reinstalled.contains(name) {
                        result.changes.append(.reinstall(name, from: from, to: to))
                    } else if let to, to != from {
                        result.changes.append(.update(name, from: from, to: to))
                    }
                } else {
                    result.changes.append(.install(name, version: to))
                }
            }
            // Extensions of installed modules that no longer have functions release theirs.
            for name in installedInOrder.reversed() where wanted[name] == nil && restricted.module(named: ExtensionScript.module(ofExtension: name) ?? "") != nil {
                result.changes.append(.release(name, from: installed[name]!))
            }
            result.fromRepeatableSet = ledger.legacyExtensionVersion == nil && installed.isEmpty
                && ledger.repeatables.values.contains { ExtensionScript.isFunction(kind: $0.kind) }
        }
        return result
    }

    /// The statements the plan sends for `changes`, in this order: `invariants` releases its
    /// functions; re-created extensions are dropped (dependents first, their functions kept);
    /// creates and updates (dependencies first; an install script adopts existing functions);
    /// extensions no longer wanted release their functions and go; the empty `invariants` goes.
    func extensionStatements(_ changes: ExtensionChanges, ledger: LedgerState) -> [(statement: String, label: String)] {
        var out: [(String, String)] = []
        func releaseMembers(_ name: String) {
            for member in ledger.extensionMembers[name] ?? [] {
                out.append(("ALTER EXTENSION \(SQLText.identifier(name)) DROP FUNCTION \(member)", "extension \(name)"))
            }
        }
        func drop(_ name: String) {
            releaseMembers(name)
            out.append(("DROP EXTENSION \(SQLText.identifier(name))", "extension \(name)"))
        }
        func create(_ name: String, _ version: String?) {
            out.append(("CREATE EXTENSION \(SQLText.identifier(name))" + (version.map { " VERSION \(SQLText.literal($0))" } ?? ""), "extension \(name)"))
        }
        let legacy = ExtensionScript.legacyName
        var dropLegacy = false
        for case .moveOffLegacy(_, let viaUpdate) in changes.changes {
            if viaUpdate {
                out.append(("ALTER EXTENSION \(SQLText.identifier(legacy)) UPDATE TO \(SQLText.literal(ExtensionScript.legacyFinalVersion))", "extension \(legacy)"))
            } else {
                releaseMembers(legacy)
            }
            dropLegacy = true
        }
        for case .reinstall(let name, _, _) in changes.changes.reversed() { drop(name) }
        for change in changes.changes {
            switch change {
            case .install(let name, let version), .reinstall(let name, _, let version): create(name, version)
            case .update(let name, _, let to): out.append(("ALTER EXTENSION \(SQLText.identifier(name)) UPDATE TO \(SQLText.literal(to))", "extension \(name)"))
            default: break
            }
        }
        for case .release(let name, _) in changes.changes { drop(name) }
        if dropLegacy { out.append(("DROP EXTENSION \(SQLText.identifier(legacy))", "extension \(legacy)")) }
        return out
    }

    /// Refuses early, with the fix, when the server lacks a target version's script.
    func checkAvailable(_ changes: ExtensionChanges, ledger: LedgerState) throws(InvariantsError) {
        for change in changes.changes {
            let checked: (name: String, target: String?)?
            switch change {
            case .install(let n, let v): checked = (n, v)
            case .update(let n, _, let v): checked = (n, v)
            case .reinstall(let n, _, let v): checked = (n, v)
            default: checked = nil
            }
            guard case let (name, target)? = checked else { continue }
            let available = ledger.availableExtensionVersions[name] ?? []
            if let target, available.contains(target) { continue }
            if target == nil, !available.isEmpty { continue }
            throw InvariantsError(.migrationFailed,
                "extension \(name)\(target.map { " version " + $0 } ?? "") is not installed on the database server"
                    + (available.isEmpty ? "" : " (it has \(available.sorted().joined(separator: ", ")))"),
                hint: "on the database host: make -C extension install (PGXS, needs postgresql-server-dev and root); or migrate with --stored-logic repeatable")
        }
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
