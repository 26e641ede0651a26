/// Everything one application declares: its modules (each a migration stream — frozen
/// history — and a part of the repeatable set — living logic), the set a plain `migrate`
/// installs on an empty database, and how a database on the linear ledger of releases 0.1 and
/// 0.2 maps onto the modules. The CLI's `generate` renders a catalog to `sql/`.
public struct Catalog: Sendable, Hashable {
    /// In dependency order: every module after the modules it depends on.
    public private(set) var modules: [Module]
    /// What a plain `migrate` installs on an empty database without a ledger.
    public var defaultModules: [String]
    /// The linear history (releases 0.1 and 0.2 of the bundled catalog); empty for an app that
    /// started on module streams.
    public var linearHistory: [LinearMigration]
    /// Which module owns each repeatable object (see ``Module/repeatables``).
    public private(set) var owners: [String: String]
    /// The repeatable set of every module, in apply order (kind, then module order, then
    /// declaration order), each object once, in the module that owns it.
    public private(set) var repeatables: [RepeatableObject]

    /// Orders `modules` by their dependencies (declaration order where free) and assigns each
    /// repeatable object to one module. Throws for an unknown or cyclic dependency, a module
    /// declared twice, or one object rendered by two modules neither of which depends on the
    /// other (move it into a module both depend on).
    public init(modules: [Module], defaultModules: [String]? = nil, linearHistory: [LinearMigration] = []) throws(SchemaError) {
        var byName: [String: Module] = [:]
        for module in modules {
            guard Module.isValidName(module.name) else {
                throw SchemaError("module name '\(SQLText.commentSafe(module.name))' must be lowercase letters, digits and _, starting with a letter")
            }
            guard byName.updateValue(module, forKey: module.name) == nil else { throw SchemaError("module \(module.name) is declared twice") }
        }
        var ordered: [Module] = []
        var state: [String: Bool] = [:]  // false: visiting, true: done
        func visit(_ module: Module, path: [String]) throws(SchemaError) {
            if state[module.name] == true { return }
            if state[module.name] == false {
                throw SchemaError("modules depend on each other in a cycle: \((path + [module.name]).joined(separator: " → "))")
            }
            state[module.name] = false
            for name in module.dependencies {
                guard let dependency = byName[name] else {
                    throw SchemaError("module \(module.name) depends on \(name), which is not declared")
                }
                try visit(dependency, path: path + [module.name])
            }
            state[module.name] = true
            ordered.append(module)
        }
        for module in modules { try visit(module, path: []) }
        self.modules = ordered
        self.defaultModules = defaultModules ?? ordered.map(\.name)
        self.linearHistory = linearHistory
        self.owners = [:]
        self.repeatables = []
        try assignRepeatables()
    }

    /// The smallest app: one module, `name`, that needs nothing; `migrations` become its stream
    /// (their ``Migration/module`` is set to `name`).
    public init(module name: String = "app", summary: String = "", migrations: [Migration], repeatables: [RepeatableObject],
                checks: [InvariantCheck] = []) throws(SchemaError) {
        let stream = migrations.map { migration -> Migration in
            var copy = migration
            copy.module = name
            return copy
        }
        try self.init(modules: [Module(name, summary: summary, migrations: stream, repeatables: repeatables, checks: checks)])
    }

    /// The same catalog with one module changed by `body` (ownership and order recomputed).
    public func updating(_ name: String, _ body: (inout Module) -> Void) throws(SchemaError) -> Catalog {
        guard module(named: name) != nil else { throw SchemaError("unknown module '\(SQLText.commentSafe(name))'") }
        return try mapModules { if $0.name == name { body(&$0) } }
    }

    /// The same catalog with every module changed by `body`. A module's repeatables here are the
    /// objects it owns.
    public func mapModules(_ body: (inout Module) -> Void) throws(SchemaError) -> Catalog {
        let changed = modules.map { module -> Module in
            var copy = module
            copy.repeatables = repeatables(of: module.name)
            body(&copy)
            return copy
        }
        return try Catalog(modules: changed, defaultModules: defaultModules, linearHistory: linearHistory)
    }

    private mutating func assignRepeatables() throws(SchemaError) {
        var owner: [String: (module: String, object: RepeatableObject)] = [:]
        var owned: [String: [RepeatableObject]] = [:]
        for module in modules {
            let closure = Set(try self.closure(of: [module.name]).map(\.name))
            for object in module.repeatables {
                if let existing = owner[object.key] {
                    guard existing.object.kind == object.kind, existing.object.statements == object.statements,
                          existing.object.dropStatements == object.dropStatements else {
                        throw SchemaError(RepeatableObjectConflict(key: object.key, firstSource: existing.object.source,
                                                                   secondSource: object.source).description)
                    }
                    guard closure.contains(existing.module) else {
                        throw SchemaError("repeatable object \(SQLText.commentSafe(object.key)) is declared by modules \(existing.module) and \(module.name), neither of which depends on the other: declare it in a module both depend on")
                    }
                    continue
                }
                owner[object.key] = (module.name, object)
                owned[module.name, default: []].append(object)
            }
        }
        owners = owner.mapValues(\.module)
        do {
            repeatables = try RepeatableObject.merged(modules.map { owned[$0.name] ?? [] })
        } catch {
            throw SchemaError(error.description)
        }
    }

    /// The module named `name`.
    public func module(named name: String) -> Module? { modules.first { $0.name == name } }

    /// `names` and everything they depend on, in dependency order. Throws for an unknown name,
    /// naming it and the declared modules.
    public func closure(of names: some Sequence<String>) throws(SchemaError) -> [Module] {
        var wanted = Set<String>()
        var queue = Array(names)
        while let name = queue.popLast() {
            guard let module = module(named: name) else {
                throw SchemaError("unknown module '\(SQLText.commentSafe(name))'; declared: \(modules.map(\.name).joined(separator: ", "))")
            }
            if wanted.insert(name).inserted { queue.append(contentsOf: module.dependencies) }
        }
        return modules.filter { wanted.contains($0.name) }
    }

    /// The same catalog with only `names` and their dependencies: what a database holding those
    /// modules should contain.
    public func restricted(to names: some Sequence<String>) throws(SchemaError) -> Catalog {
        let kept = try closure(of: names)
        let keptNames = Set(kept.map(\.name))
        var copy = self
        copy.modules = kept
        copy.defaultModules = defaultModules.filter(keptNames.contains)
        copy.repeatables = repeatables.filter { keptNames.contains(owners[$0.key] ?? "") }
        copy.owners = owners.filter { keptNames.contains($0.value) }
        return copy
    }

    /// Every module's migrations, modules in dependency order.
    public var migrations: [Migration] { modules.flatMap(\.migrations) }

    /// Every module's checks, modules in dependency order.
    public var checks: [InvariantCheck] { modules.flatMap(\.checks) }

    /// Every module's counters, modules in dependency order.
    public var counters: [CounterCache] { modules.flatMap(\.counters) }

    /// A module's own repeatable objects, in apply order.
    public func repeatables(of module: String) -> [RepeatableObject] {
        repeatables.filter { owners[$0.key] == module }
    }

    /// Versions run 1, 2, 3… in each module (the generated guard relies on it); every migration
    /// names its module; names and steps must be writable; repeatable keys unique.
    public func validate() throws(SchemaError) {
        for module in modules {
            for (index, migration) in module.migrations.enumerated() {
                guard migration.module == module.name else {
                    throw SchemaError("migration \(migration.label) is listed in module \(module.name)")
                }
                guard migration.version == index + 1 else {
                    throw SchemaError("module \(module.name): migration versions must be 1, 2, 3… in order; found \(migration.version) at position \(index + 1)")
                }
                try MigrationFile.validate(migration)
            }
        }
        let declared = Set(modules.map(\.name))
        for name in defaultModules where !declared.contains(name) {
            throw SchemaError("default module \(name) is not declared")
        }
        for linear in linearHistory {
            for equivalent in linear.equivalents {
                guard let module = module(named: equivalent.module), equivalent.version <= module.migrations.count else {
                    throw SchemaError("linear migration \(linear.fileName) maps to \(equivalent), which is not declared")
                }
            }
        }
        try RepeatableSetFile.validate(repeatables)
    }

    /// Relative path → content of every generated file: `<module>/migrations/NNNN_name.sql`,
    /// `<module>/repeatable.sql` and the manifest (``ModuleManifest``). Released migrations are
    /// included too; the caller decides whether to write them (it never rewrites a released file).
    public func renderedFiles() throws(SchemaError) -> [String: String] {
        try validate()
        var files: [String: String] = [:]
        for module in modules {
            for migration in module.migrations {
                let dependencies = module.dependencies.map { ($0, self.module(named: $0)?.migrations.count ?? 1) }
                files[MigrationFile.relativePath(for: migration)] = MigrationFile.render(migration, dependencies: dependencies)
            }
            files[RepeatableSetFile.relativePath(module: module.name)] = RepeatableSetFile.render(repeatables(of: module.name), module: module.name)
            if let adoption = module.adoption { files[AdoptionFile.relativePath(module: module.name)] = AdoptionFile.render(adoption) }
        }
        files[ModuleManifest.fileName] = ModuleManifest(self).render()
        return files
    }
}

/// `sql/RELEASED`: one line per release. A release of the module streams names each module's
/// last frozen version (`0.3 core=2 auth=1 gig_responses=1`); a release of the linear history
/// (0.1, 0.2) names its last linear migration (`0.2 8`). Everything up to those versions is frozen.
public struct ReleaseMarker: Sendable, Hashable {
    public static let fileName = "RELEASED"

    /// One line of `sql/RELEASED`: a label and what it froze.
    public struct Release: Sendable, Hashable {
        /// The release label, e.g. `0.3`.
        public var label: String
        /// The last linear migration this release froze; 0 for a module release.
        public var lastMigration: Int
        /// Module → last frozen version; empty for a linear release.
        public var modules: [String: Int]
        /// Release `label`: the last linear migration it froze, or each module's last frozen
        /// version.
        public init(label: String, lastMigration: Int = 0, modules: [String: Int] = [:]) {
            self.label = label
            self.lastMigration = lastMigration
            self.modules = modules
        }
    }

    public var releases: [Release]

    /// The marker with `releases`, oldest first.
    public init(releases: [Release] = []) { self.releases = releases }

    /// The highest frozen linear migration version; 0 when none.
    public var frozenThrough: Int { releases.map(\.lastMigration).max() ?? 0 }

    /// The highest frozen version of `module`'s stream; 0 when none is released.
    public func frozenThrough(module: String) -> Int { releases.compactMap { $0.modules[module] }.max() ?? 0 }

    public static func parse(_ text: String) throws(SchemaError) -> ReleaseMarker {
        var releases: [Release] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            let expected = "expected '<label> <last linear migration>' or '<label> <module>=<version> …'"
            guard fields.count >= 2 else { throw SchemaError("\(fileName), line \(number + 1): \(expected), found '\(raw)'") }
            var release = Release(label: String(fields[0]))
            if fields.count == 2, let version = Int(fields[1]) {
                guard version > 0 else { throw SchemaError("\(fileName), line \(number + 1): \(expected), found '\(raw)'") }
                if let last = releases.map(\.lastMigration).max(), version < last {
                    throw SchemaError("\(fileName), line \(number + 1): release \(fields[0]) goes back to migration \(version)")
                }
                release.lastMigration = version
            } else {
                for field in fields.dropFirst() {
                    let pair = field.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, Module.isValidName(String(pair[0])), let version = Int(pair[1]), version > 0 else {
                        throw SchemaError("\(fileName), line \(number + 1): \(expected), found '\(field)'")
                    }
                    let module = String(pair[0])
                    let previous = releases.compactMap { $0.modules[module] }.max() ?? 0
                    guard version >= previous else {
                        throw SchemaError("\(fileName), line \(number + 1): release \(fields[0]) goes back to \(module) \(version)")
                    }
                    release.modules[module] = version
                }
            }
            releases.append(release)
        }
        return ReleaseMarker(releases: releases)
    }

    /// The file's text, as `release` writes it.
    public func render() -> String {
        "# Released versions, one line per release. Everything up to these versions is frozen: the\n"
            + "# files are the source of truth and are never rendered again.\n"
            + "#   <label> <last linear migration>          (releases 0.1 and 0.2: sql/linear/)\n"
            + "#   <label> <module>=<last version> …        (module streams: sql/<module>/)\n"
            + releases.map { release in
                release.modules.isEmpty
                    ? "\(release.label) \(release.lastMigration)\n"
                    : release.label + " " + release.modules.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
            }.joined()
    }
}
