import Foundation

/// The files of the `invariants` PostgreSQL extension (`extension/`): the control file,
/// one install script per version and upgrade scripts between versions.
///
/// The extension carries the stored *functions* only — the repeatable objects of kind
/// function and trigger function, with their EXECUTE grants — in the schemas the migrator
/// puts them in (so it is not relocatable). Tables, triggers, policies, views and data
/// always come from migrations and the repeatable set: `DROP EXTENSION` then refuses while
/// a trigger uses one of its functions, and user data never belongs to the extension.
///
/// An install script is made of the same object blocks as `sql/repeatable.sql`
/// (`-- invariants:object {json}` with a checksum), so a released script can be read back
/// and is the source of truth for its version, like a released migration.
public enum ExtensionScript {
    public static let extensionName = "invariants"
    public static let controlFileName = "invariants.control"
    /// Unreleased versions are named `dev.<hash>`: the name changes with the content, so an
    /// installed dev version can never silently differ from the one the migrator expects.
    public static let devPrefix = "dev."

    /// The objects the extension carries: functions and trigger functions, in order.
    public static func functions(of objects: [RepeatableObject]) -> [RepeatableObject] {
        objects.filter(isFunction)
    }

    public static func isFunction(_ object: RepeatableObject) -> Bool {
        object.kind == .function || object.kind == .triggerFunction
    }

    public static func isFunction(kind: String) -> Bool {
        kind == RepeatableObject.Kind.function.rawValue || kind == RepeatableObject.Kind.triggerFunction.rawValue
    }

    /// `invariants--0.1.sql`
    public static func scriptFileName(version: String) -> String { "\(extensionName)--\(version).sql" }

    /// `invariants--0.1--0.2.sql`
    public static func upgradeFileName(from: String, to: String) -> String { "\(extensionName)--\(from)--\(to).sql" }

    /// The unreleased version name for a set of functions: `dev.` and 12 hex digits of the
    /// checksum over their keys and checksums.
    public static func devVersion(for functions: [RepeatableObject]) -> String {
        let digest = Checksum.sha256(fingerprint(functions))
        return devPrefix + String(digest.dropFirst("sha256:".count).prefix(12))
    }

    /// Order-independent identity of a function set (key and checksum of each).
    public static func fingerprint(_ functions: [RepeatableObject]) -> String {
        functions.map { $0.key + " " + RepeatableSetFile.checksum(of: $0) + "\n" }.sorted().joined()
    }

    /// A version label must be usable as a PostgreSQL extension version and a file name.
    public static func validate(version: String) throws(SchemaError) {
        let allowed = version.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
        }
        guard !version.isEmpty, allowed, !version.contains("--"), !version.hasPrefix("-"), !version.hasSuffix("-") else {
            throw SchemaError("'\(SQLText.commentSafe(version))' cannot be an extension version (letters, digits, '.', '_', single '-' inside)")
        }
    }

    /// Refuses to run the script outside `CREATE EXTENSION`, and before the migrations made
    /// the `invariants` schema (which every install has; a restore creates schemas first).
    private static let guardLines = """
        \\echo Use "CREATE EXTENSION \(extensionName)" to load this file. \\quit
        DO $guard$
        BEGIN
            IF pg_catalog.to_regnamespace('\(Ledger.schema)') IS NULL THEN
                RAISE EXCEPTION 'extension \(extensionName) holds stored logic only: apply the migrations first'
                    USING HINT = 'invariants migrate --stored-logic extension (or psql -f each sql/migrations file), then CREATE EXTENSION \(extensionName)';
            END IF;
        END
        $guard$;
        """

    /// `invariants--<version>.sql`: every function with its grants.
    public static func renderScript(version: String, functions: [RepeatableObject]) -> String {
        """
        -- Invariants extension, version \(version): the stored functions (and their EXECUTE
        -- grants) of the declared invariants. Tables, triggers, policies and views come
        -- from the migrations and the repeatable set, never from the extension.
        --
        -- Generated from the Swift declarations; do not edit by hand. A released version's
        -- script is frozen (never rendered again), like a released migration.
        -- Install: make -C extension install; then, after the migrations,
        --   CREATE EXTENSION \(extensionName) VERSION '\(version)';
        -- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
        \(guardLines)

        """ + RepeatableSetFile.objectBlocks(functions)
    }

    /// `invariants--<from>--<to>.sql`: drops the functions `to` no longer has, then creates
    /// or replaces the new and changed ones (unchanged ones are left alone).
    public static func renderUpgrade(from: String, to: String, old: [RepeatableObject], new: [RepeatableObject]) -> String {
        let oldByKey = Dictionary(old.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let newKeys = Set(new.map(\.key))
        let removed = old.filter { !newKeys.contains($0.key) }
        let changed = new.filter { oldByKey[$0.key].map(RepeatableSetFile.checksum(of:)) != RepeatableSetFile.checksum(of: $0) }
        var out = """
            -- Invariants extension upgrade \(from) → \(to): \(removed.count) function(s) dropped,
            -- \(changed.count) created or replaced, \(new.count - changed.count) unchanged.
            -- Generated from the Swift declarations; do not edit by hand.
            -- Apply: ALTER EXTENSION \(extensionName) UPDATE TO '\(to)';
            -- (`invariants migrate --stored-logic extension` first drops the triggers and other
            -- objects that still use a dropped function, then updates, then re-creates them.)
            \(guardLines)


            """
        for object in removed {
            out += "-- removed: \(SQLText.commentSafe(object.key))\n"
            out += object.dropStatements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) + ";\n" }.joined()
            out += "\n"
        }
        out += RepeatableSetFile.objectBlocks(changed)
        return out
    }

    /// Reads an install script back; throws when an object was edited by hand.
    public static func parseScript(_ text: String, fileName: String) throws(SchemaError) -> [RepeatableObject] {
        let objects: [RepeatableObject]
        do {
            objects = try RepeatableSetFile.parse(text)
        } catch {
            throw SchemaError(fileName + ": " + error.message.replacingOccurrences(of: RepeatableSetFile.fileName + ": ", with: ""))
        }
        if let other = objects.first(where: { !isFunction($0) }) {
            throw SchemaError("\(fileName): '\(other.key)' is a \(other.kind.rawValue); the extension carries functions only")
        }
        return objects
    }

    /// `invariants.control`.
    public static func renderControl(defaultVersion: String) -> String {
        """
        # Invariants extension control file. Generated by `invariants generate`; do not edit.
        # The stored functions only; tables, triggers, policies and views come from migrations.
        comment = 'Invariants: stored functions of the declared data invariants (tables, triggers and policies come from migrations)'
        default_version = '\(defaultVersion)'
        relocatable = false
        superuser = true
        trusted = false

        """
    }

    /// `default_version` from a control file's text.
    public static func defaultVersion(inControl text: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "default_version" {
                return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            }
        }
        return nil
    }
}
