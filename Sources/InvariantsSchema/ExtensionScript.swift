import Foundation

/// The files of the PostgreSQL extensions that carry the stored functions (`extension/`):
/// one extension per module that has functions, `invariants_<module>`, whose control file
/// `requires` the extensions of the module's dependencies (modules without functions, such as
/// `auth`, have none and are skipped in `requires`); one install script per version and
/// upgrade scripts between versions.
///
/// An extension carries the stored *functions* only — the repeatable objects of kind
/// function and trigger function, with their EXECUTE grants — in the schemas the migrator
/// puts them in (so it is not relocatable). Tables, triggers, policies, views and data
/// always come from migrations and the repeatable set: `DROP EXTENSION` then refuses while
/// a trigger uses one of its functions, and user data never belongs to an extension.
///
/// An install script *adopts* each of its functions that already exists free-standing
/// (`ALTER EXTENSION … ADD FUNCTION`, then `CREATE OR REPLACE`), so a function keeps its OID
/// and the triggers using it when it moves from the repeatable set — or from the single
/// extension `invariants` of releases 0.1/0.2 — into its module's extension.
///
/// The single extension `invariants` (releases 0.1 and 0.2, every module's functions) is
/// frozen: its files stay for the databases that installed it, with an update to the empty
/// version ``legacyFinalVersion`` that releases every member (functions, OIDs and triggers
/// stay), after which the module extensions adopt them and `DROP EXTENSION invariants` runs.
///
/// An install script is made of the same object blocks as `sql/<module>/repeatable.sql`
/// (`-- invariants:object {json}` with a checksum), so a released script can be read back
/// and is the source of truth for its version, like a released migration.
public enum ExtensionScript {
    /// The single extension of releases 0.1 and 0.2 (superseded by the module extensions).
    public static let extensionName = "invariants"
    public static let legacyName = extensionName
    public static let controlFileName = "invariants.control"
    /// The version of `invariants` that holds nothing: its update scripts release every member.
    public static let legacyFinalVersion = "modules"
    /// Module extensions are named `invariants_<module>`.
    public static let modulePrefix = "invariants_"
    /// Unreleased versions are named `dev.<hash>`: the name changes with the content, so an
    /// installed dev version can never silently differ from the one the migrator expects.
    public static let devPrefix = "dev."

    /// `invariants_gig_responses`
    public static func extensionName(module: String) -> String { modulePrefix + module }

    /// The module of an extension name (`invariants_core` → `core`); nil for other names.
    public static func module(ofExtension name: String) -> String? {
        name.hasPrefix(modulePrefix) && name.count > modulePrefix.count ? String(name.dropFirst(modulePrefix.count)) : nil
    }

    /// `invariants_core.control`
    public static func controlFileName(extension name: String) -> String { name + ".control" }

    /// `invariants_core--0.2.sql`
    public static func scriptFileName(extension name: String, version: String) -> String { "\(name)--\(version).sql" }

    /// `invariants_core--0.2--0.3.sql`
    public static func upgradeFileName(extension name: String, from: String, to: String) -> String { "\(name)--\(from)--\(to).sql" }

    /// The modules that get an extension (those with functions), in dependency order, each
    /// with its functions and the extensions it requires (its dependencies' closure, modules
    /// without functions left out, in dependency order).
    public static func moduleExtensions(_ catalog: Catalog) -> [(module: String, functions: [RepeatableObject], requires: [String])] {
        let withFunctions = Set(catalog.modules.map(\.name).filter { !functions(of: catalog.repeatables(of: $0)).isEmpty })
        return catalog.modules.compactMap { module in
            guard withFunctions.contains(module.name) else { return nil }
            let closure = ((try? catalog.closure(of: [module.name])) ?? []).map(\.name)
            let requires = closure.filter { $0 != module.name && withFunctions.contains($0) }.map { extensionName(module: $0) }
            return (module.name, functions(of: catalog.repeatables(of: module.name)), requires)
        }
    }

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
    private static func guardLines(_ name: String) -> String {
        """
        \\echo Use "CREATE EXTENSION \(name)" to load this file. \\quit
        DO $guard$
        BEGIN
            IF pg_catalog.to_regnamespace('\(Ledger.schema)') IS NULL THEN
                RAISE EXCEPTION 'extension \(name) holds stored logic only: apply the migrations first'
                    USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION \(name)';
            END IF;
        END
        $guard$;
        """
    }

    /// The signature a function's drop statement names (`"public"."f"(uuid, text)`).
    public static func signature(of object: RepeatableObject) -> String? {
        let prefix = "DROP FUNCTION IF EXISTS "
        guard isFunction(object), let drop = object.dropStatements.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return String(drop.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Before the `CREATE OR REPLACE`s: each function that already exists free-standing (the
    /// repeatable set made it, or `invariants` released it) joins this extension, so replacing
    /// it keeps its OID and the triggers using it (PostgreSQL refuses to replace, in an
    /// extension script, a function the extension does not own). A function another extension
    /// still owns stops the install, naming the way out.
    static func adoptBlock(_ name: String, functions: [RepeatableObject]) -> String {
        let signatures = functions.compactMap(signature(of:))
        guard !signatures.isEmpty else { return "" }
        return """
            DO $adopt$
            DECLARE
                sig text;
                f pg_catalog.regprocedure;
                holder name;
            BEGIN
                FOREACH sig IN ARRAY ARRAY[
                    \(signatures.map(SQLText.literal).joined(separator: ",\n        "))
                ]::text[] LOOP
                    f := pg_catalog.to_regprocedure(sig);
                    CONTINUE WHEN f IS NULL;
                    SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
                    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
                      AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
                    IF holder IS NOT NULL THEN
                        RAISE EXCEPTION 'function % belongs to extension %, not to \(name)', f, holder
                            USING HINT = CASE WHEN holder = '\(legacyName)' THEN 'ALTER EXTENSION \(legacyName) UPDATE TO ''\(legacyFinalVersion)'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
                    END IF;
                    EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', '\(name)', f);
                END LOOP;
            END
            $adopt$;

            """ + "\n"
    }

    /// `invariants--<version>.sql` (the single extension of releases 0.1/0.2).
    public static func renderScript(version: String, functions: [RepeatableObject]) -> String {
        renderScript(extension: legacyName, version: version, functions: functions)
    }

    /// `<extension>--<version>.sql`: every function with its grants, existing ones adopted first.
    public static func renderScript(extension name: String, version: String, functions: [RepeatableObject]) -> String {
        let adopt = name == legacyName ? "" : "\n" + adoptBlock(name, functions: functions)
        return """
        -- Extension \(name), version \(version): the stored functions (and their EXECUTE
        -- grants) of the declared invariants. Tables, triggers, policies and views come
        -- from the migrations and the repeatable set, never from the extension.
        --
        -- Generated from the Swift declarations; do not edit by hand. A released version's
        -- script is frozen (never rendered again), like a released migration.
        -- Install: make -C extension install; then, after the migrations,
        --   CREATE EXTENSION \(name) VERSION '\(version)';
        -- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
        \(guardLines(name))
        \(adopt)
        """ + RepeatableSetFile.objectBlocks(functions)
    }

    public static func renderUpgrade(from: String, to: String, old: [RepeatableObject], new: [RepeatableObject]) -> String {
        renderUpgrade(extension: legacyName, from: from, to: to, old: old, new: new)
    }

    /// `<extension>--<from>--<to>.sql`: drops the functions `to` no longer has, then creates
    /// or replaces the new and changed ones (unchanged ones are left alone).
    public static func renderUpgrade(extension name: String, from: String, to: String, old: [RepeatableObject], new: [RepeatableObject]) -> String {
        let oldByKey = Dictionary(old.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let newKeys = Set(new.map(\.key))
        let removed = old.filter { !newKeys.contains($0.key) }
        let changed = new.filter { oldByKey[$0.key].map(RepeatableSetFile.checksum(of:)) != RepeatableSetFile.checksum(of: $0) }
        var out = """
            -- Extension \(name) upgrade \(from) → \(to): \(removed.count) function(s) dropped,
            -- \(changed.count) created or replaced, \(new.count - changed.count) unchanged.
            -- Generated from the Swift declarations; do not edit by hand.
            -- Apply: ALTER EXTENSION \(name) UPDATE TO '\(to)';
            -- (`invariants migrate --stored-logic extension` first drops the triggers and other
            -- objects that still use a dropped function, then updates, then re-creates them.)
            \(guardLines(name))


            """
        for object in removed {
            out += "-- removed: \(SQLText.commentSafe(object.key))\n"
            out += object.dropStatements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) + ";\n" }.joined()
            out += "\n"
        }
        out += RepeatableSetFile.objectBlocks(changed)
        return out
    }

    /// `invariants--<from>--modules.sql`: the single extension of releases 0.1/0.2 releases
    /// every member function. The functions stay (same OIDs, grants, triggers); the module
    /// extensions adopt them next, then `DROP EXTENSION invariants` removes the empty one.
    public static func renderLegacyRelease(from: String) -> String {
        """
        -- Extension \(legacyName) \(from) → \(legacyFinalVersion): the functions leave this extension
        -- (they stay, with their OIDs, grants and the triggers using them) so that the module
        -- extensions invariants_<module> adopt them. Generated; do not edit by hand.
        -- By hand, in one transaction:
        --   ALTER EXTENSION \(legacyName) UPDATE TO '\(legacyFinalVersion)';
        --   CREATE EXTENSION invariants_core; CREATE EXTENSION invariants_<module>; …  (dependencies first)
        --   DROP EXTENSION \(legacyName);
        -- (or `invariants migrate --stored-logic extension`).
        \\echo Use "ALTER EXTENSION \(legacyName) UPDATE TO '\(legacyFinalVersion)'" to load this file. \\quit
        DO $release$
        DECLARE
            f pg_catalog.regprocedure;
        BEGIN
            FOREACH f IN ARRAY ARRAY(
                SELECT d.objid::pg_catalog.regprocedure FROM pg_catalog.pg_depend d
                JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                WHERE e.extname = '\(legacyName)' AND d.deptype = 'e' AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                ORDER BY d.objid)
            LOOP
                EXECUTE pg_catalog.format('ALTER EXTENSION %I DROP FUNCTION %s', '\(legacyName)', f);
            END LOOP;
        END
        $release$;

        """
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

    /// `invariants.control`: frozen at the newest version that has a script; it also reaches
    /// ``legacyFinalVersion``.
    public static func renderControl(defaultVersion: String) -> String {
        """
        # Extension invariants of releases 0.1/0.2 (every module's functions). Superseded by the
        # module extensions invariants_<module>; kept so that databases on it can move off:
        # ALTER EXTENSION invariants UPDATE TO '\(legacyFinalVersion)' releases its functions for them.
        # Generated by `invariants generate`; do not edit.
        comment = 'Invariants (releases 0.1/0.2): stored functions of every module; superseded by invariants_<module>'
        default_version = '\(defaultVersion)'
        relocatable = false
        superuser = true
        trusted = false

        """
    }

    /// `invariants_<module>.control`.
    public static func renderControl(module: String, defaultVersion: String, requires: [String]) -> String {
        """
        # Extension \(extensionName(module: module)) control file: the stored functions of module \(module).
        # Tables, triggers, policies and views come from the module's migrations and repeatable set.
        # Generated by `invariants generate`; do not edit.
        comment = 'Invariants module \(module): its stored functions (tables, triggers and policies come from migrations)'
        default_version = '\(defaultVersion)'
        \(requires.isEmpty ? "" : "requires = '\(requires.joined(separator: ", "))'\n")relocatable = false
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
