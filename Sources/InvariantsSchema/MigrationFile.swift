import Foundation

/// The text form of a ``Migration``: `sql/migrations/NNNN_name.sql`.
///
/// One file serves two routes. Lines after `-- invariants:step` are the migration's
/// statements, which the migrator runs one per query. Lines after `-- invariants:psql`
/// are what a DBA running `psql -f` needs and the migrator does itself (transaction,
/// timeouts, advisory lock, ledger, guard, ledger row); the migrator skips them.
/// The checksum covers the timeouts and the steps, and is verified when a file is read,
/// so a hand edit is caught before anything runs.
public enum MigrationFile {
    public static let stepMarker = "-- invariants:step"
    public static let psqlMarker = "-- invariants:psql"
    static let headerMarker = "-- invariants:migration"
    static let checksumMarker = "-- invariants:checksum"
    static let outsideTransaction = "outside-transaction"
    static let rebuildIndex = "rebuild-invalid-index="

    /// `0001_name.sql`
    public static func fileName(for migration: Migration) -> String {
        fileName(version: migration.version, name: migration.name)
    }

    /// Where the file lives under `sql/`: `<module>/migrations/NNNN_name.sql`, or
    /// `linear/migrations/NNNN_name.sql` for the linear history of releases 0.1 and 0.2.
    public static func relativePath(for migration: Migration) -> String {
        (migration.module ?? "linear") + "/migrations/" + fileName(for: migration)
    }

    public static func fileName(version: Int, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
    }

    /// Throws when a migration's version, name or steps cannot be written safely.
    public static func validate(_ migration: Migration) throws(SchemaError) {
        guard migration.version > 0 else { throw SchemaError("migration \(migration.name): version must be positive") }
        guard !migration.name.isEmpty, migration.name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            throw SchemaError("migration \(migration.version): name '\(SQLText.commentSafe(migration.name))' must be lowercase letters, digits and _")
        }
        guard !migration.steps.isEmpty else { throw SchemaError("migration \(fileName(for: migration)) has no steps") }
        for (index, step) in migration.steps.enumerated() {
            let sql = step.sql.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !sql.isEmpty else { throw SchemaError("migration \(fileName(for: migration)), step \(index + 1) is empty") }
            guard !sql.hasSuffix(";") else { throw SchemaError("migration \(fileName(for: migration)), step \(index + 1) ends with ';' (steps are single statements without it)") }
            guard !sql.split(separator: "\n").contains(where: { $0.hasPrefix("-- invariants:") }) else {
                throw SchemaError("migration \(fileName(for: migration)), step \(index + 1) contains a reserved '-- invariants:' line")
            }
        }
    }

    /// The checksum stored in the ledger: over the timeouts and every step as rendered.
    public static func checksum(of migration: Migration) -> String {
        Checksum.sha256(canonicalBody(migration))
    }

    private static func settingsLine(_ m: Migration) -> String {
        "lock_timeout_ms=\(m.lockTimeoutMilliseconds) statement_timeout_ms=\(m.statementTimeoutMilliseconds)"
    }

    private static func markerLine(for step: MigrationStep) -> String {
        var line = stepMarker
        if !step.transactional { line += " " + outsideTransaction }
        if let index = step.rebuildsInvalidIndex {
            line += " " + rebuildIndex + json(index)
        }
        return line
    }

    /// JSON keeps any identifier on one comment line (newlines are escaped).
    private static func json(_ index: QualifiedName) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(["schema": index.schema, "name": index.name])
        return String(decoding: data, as: UTF8.self)
    }

    private static func stepBlock(_ step: MigrationStep) -> String {
        markerLine(for: step) + "\n" + step.sql.trimmingCharacters(in: .whitespacesAndNewlines) + ";\n"
    }

    private static func canonicalBody(_ m: Migration) -> String {
        settingsLine(m) + "\n" + m.steps.map(stepBlock).joined(separator: "\n")
    }

    /// The whole file. Deterministic: the same migration renders byte-identical text. A module
    /// migration's guard also checks that each of `dependencies` (module → the version its stream
    /// had when this file was rendered) is applied at least that far.
    public static func render(_ m: Migration, dependencies: [(module: String, version: Int)] = []) -> String {
        let name = m.module == nil ? fileName(for: m) : relativePath(for: m)
        let checksum = checksum(of: m)
        var out = """
        -- Invariants migration \(name)
        -- Source: \(SQLText.commentSafe(m.source))
        --
        -- Generated by `invariants generate` from that declaration; do not edit by hand.
        -- Once its version is released (sql/RELEASED) this file is frozen: it is never
        -- rendered again, and its checksum is in the ledger of every database it ran on.
        --
        -- Apply with `invariants migrate`, or by hand (same ledger row either way):
        --   psql -v ON_ERROR_STOP=1 -f sql/\(m.module == nil ? "migrations/" + name : name)
        \(headerMarker) \(m.module.map { "module=\($0) " } ?? "")version=\(m.version) name=\(m.name) \(settingsLine(m))
        \(checksumMarker) \(checksum)


        """
        var inTransaction = false
        func open(_ prefix: [String] = [psqlMarker]) -> String {
            inTransaction = true
            return (prefix + [
                "BEGIN;",
                "SET LOCAL lock_timeout = '\(m.lockTimeoutMilliseconds)ms';",
                "SET LOCAL statement_timeout = '\(m.statementTimeoutMilliseconds)ms';",
                Ledger.transactionLockStatement + ";",
            ]).joined(separator: "\n") + "\n\n"
        }
        func close() -> String {
            inTransaction = false
            return psqlMarker + "\nCOMMIT;\n\n"
        }
        out += open([psqlMarker, "\\set ON_ERROR_STOP on"])
        if m.module == nil {
            out += Ledger.bootstrapStatements.map { $0 + ";\n" }.joined(separator: "\n") + "\n"
            out += Ledger.guardStatement(for: m, tag: "guard") + ";\n\n"
        } else {
            out += Ledger.moduleBootstrapStatements.map { $0 + ";\n" }.joined(separator: "\n") + "\n"
            out += Ledger.guardStatement(for: m, dependencies: dependencies, tag: "guard") + ";\n\n"
        }
        for step in m.steps {
            if step.transactional, !inTransaction { out += open() }
            if !step.transactional, inTransaction { out += close() }
            out += stepBlock(step) + "\n"
        }
        if !inTransaction { out += open() }
        let records = m.module == nil
            ? [Ledger.recordStatement(for: m, checksum: checksum)] : Ledger.recordStatements(for: m, checksum: checksum)
        out += psqlMarker + "\n" + records.map { $0 + ";\n" }.joined() + "COMMIT;\n"
        return out
    }

    /// Reads a file back into a ``Migration``. Throws when the file is malformed or its
    /// steps no longer match its recorded checksum (it was edited by hand).
    public static func parse(_ text: String, fileName: String) throws(SchemaError) -> Migration {
        var header: [String: String] = [:]
        var recordedChecksum: String?
        var steps: [MigrationStep] = []
        var current: (marker: String, lines: [String])?
        func finish() throws(SchemaError) {
            guard let block = current else { return }
            current = nil
            guard block.marker.hasPrefix(stepMarker) else { return }
            var sql = block.lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            guard sql.hasSuffix(";") else { throw SchemaError("\(fileName): step \(steps.count + 1) does not end with ';'") }
            sql.removeLast()
            let attributes = block.marker.dropFirst(stepMarker.count).trimmingCharacters(in: .whitespaces)
            var step = MigrationStep(sql)
            var rest = Substring(attributes)
            while !rest.isEmpty {
                if rest.hasPrefix(outsideTransaction) {
                    step.transactional = false
                    rest = rest.dropFirst(outsideTransaction.count)
                } else if rest.hasPrefix(rebuildIndex) {
                    let json = rest.dropFirst(rebuildIndex.count)
                    guard let data = json.data(using: .utf8),
                          let object = try? JSONDecoder().decode([String: String].self, from: data),
                          let schema = object["schema"], let name = object["name"] else {
                        throw SchemaError("\(fileName): step \(steps.count + 1) has a malformed \(rebuildIndex) attribute")
                    }
                    step.rebuildsInvalidIndex = QualifiedName(schema, name)
                    rest = ""
                } else {
                    throw SchemaError("\(fileName): step \(steps.count + 1) has an unknown attribute '\(rest)'")
                }
                rest = rest.drop(while: { $0 == " " })
            }
            steps.append(step)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(headerMarker) {
                for pair in line.dropFirst(headerMarker.count).split(separator: " ") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    if kv.count == 2 { header[String(kv[0])] = String(kv[1]) }
                }
            } else if line.hasPrefix(checksumMarker) {
                recordedChecksum = line.dropFirst(checksumMarker.count).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix(stepMarker) || line.hasPrefix(psqlMarker) {
                try finish()
                current = (String(line), [])
            } else if current != nil {
                current!.lines.append(String(line))
            }
        }
        try finish()
        guard let v = header["version"].flatMap(Int.init), let name = header["name"],
              let lock = header["lock_timeout_ms"].flatMap(Int.init), let statement = header["statement_timeout_ms"].flatMap(Int.init) else {
            throw SchemaError("\(fileName): missing or malformed '\(headerMarker)' line")
        }
        guard let recordedChecksum else { throw SchemaError("\(fileName): missing '\(checksumMarker)' line") }
        let migration = Migration(module: header["module"], version: v, name: name, source: fileName, steps: steps,
                                  lockTimeoutMilliseconds: lock, statementTimeoutMilliseconds: statement)
        guard Self.fileName(for: migration) == fileName else {
            throw SchemaError("\(fileName): its header says \(Self.fileName(for: migration))")
        }
        try validate(migration)
        let actual = checksum(of: migration)
        guard actual == recordedChecksum else {
            throw SchemaError("\(fileName) was edited by hand: its steps hash to \(actual), its header records \(recordedChecksum)")
        }
        return migration
    }
}

/// A declaration or a generated file that cannot be rendered or read; the message names it.
public struct SchemaError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    /// An error with `message`, which names the declaration or the file.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
