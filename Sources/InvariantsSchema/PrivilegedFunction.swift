/// A function of an app's API whose work needs its owner's rights (writing counters users may
/// not write, reading across users), split so that the exposed schema holds no SECURITY
/// DEFINER function a signed-in user can run — Supabase's linter rule
/// `authenticated_security_definer_function_executable`:
///
/// - the **entry point** keeps the declared name, arguments and result in the exposed schema
///   (`public.add_brains(…)`: the app's API, unchanged), runs with the caller's rights and only
///   forwards its arguments;
/// - the **helper**, `invariants_private.<name>(…)`, holds the declared body, runs SECURITY
///   DEFINER with `search_path = ''`, and checks who may do what itself (ownership through
///   `auth.uid()`, membership…). Schema `invariants_private` is not one PostgREST serves: never
///   add it to the API's exposed schemas.
///
/// With a ``serviceBody``, the helper above is the *member* path, and a second helper
/// `invariants_private.<name>_service(…)`, executable by `service_role` only, is the backend's
/// path (any tenant, no membership check). The entry point picks the service path when the
/// caller may EXECUTE that helper — a grant, which claims cannot forge (`auth.role()` reads the
/// claims, which any session can set).
///
/// The typed client calls the entry point (``function``): its declaration is the one place
/// arguments and result columns are written.
public struct PrivilegedFunction: Hashable, Sendable {
    /// The function as the app's API declares it: exposed name, arguments, result, and the
    /// body that runs with the owner's rights.
    public var function: StoredFunction
    /// The body of the backend's path, when it differs from the members' (no membership check).
    public var serviceBody: String?

    /// The schema of the helpers: reachable by the request roles (USAGE), not served by the API.
    public static let helperSchema = Schema("invariants_private")

    /// `function` split into an invoker entry point and a definer helper; `serviceBody`, when
    /// given, is the body of a second helper for `service_role`.
    public init(_ function: StoredFunction, serviceBody: String? = nil) {
        self.function = function
        self.serviceBody = serviceBody
    }

    /// The members' (or everyone's) helper: the declared body with the owner's rights.
    public var helper: StoredFunction {
        var helper = function
        helper.name = Self.helperSchema(function.name.name)
        helper.securityDefiner = true
        helper.searchPath = []
        return helper
    }

    /// The backend's helper, `<name>_service`, when a service body is declared.
    public var serviceHelper: StoredFunction? {
        guard let serviceBody else { return nil }
        var helper = self.helper
        helper.name = Self.helperSchema(function.name.name + "_service")
        helper.body = serviceBody
        return helper
    }

    /// The entry point: the declared name and signature with the caller's rights, forwarding
    /// to the helper (or, for a caller that may execute it, to the service helper).
    public var entryPoint: StoredFunction {
        var entry = function
        entry.securityDefiner = false
        entry.searchPath = []
        entry.language = "plpgsql"
        if let serviceHelper {
            let privilege = SQLText.literal(serviceHelper.signatureText)
            var test = "IF pg_catalog.has_function_privilege(\(privilege), 'EXECUTE') THEN"
            if !SQLLines.fits("    " + test) {
                test = "IF pg_catalog.has_function_privilege(\n        \(privilege), 'EXECUTE'\n    ) THEN"
            }
            entry.body = """
                BEGIN
                    -- The backend's path is chosen by a grant (EXECUTE on the service helper), never by claims.
                    \(test)
                        \(Self.forward(to: serviceHelper, returning: function, indent: "        "))
                    ELSE
                        \(Self.forward(to: helper, returning: function, indent: "        "))
                    END IF;
                END
                """
        } else {
            entry.body = """
                BEGIN
                    \(Self.forward(to: helper, returning: function, indent: "    "))
                END
                """
        }
        return entry
    }

    /// The statement that calls `target` with the entry point's own arguments and hands back
    /// its result: `RETURN QUERY SELECT * FROM …`, `PERFORM …` or `RETURN …`.
    /// Written at `indent`: a long call continues with one argument per line.
    static func forward(to target: StoredFunction, returning declared: StoredFunction, indent: String) -> String {
        let returns = declared.returns.lowercased()
        let statement = if declared.resultColumns != nil || returns.hasPrefix("table") || returns.hasPrefix("setof") {
            "RETURN QUERY SELECT * FROM "
        } else if returns == "void" {
            "PERFORM "
        } else {
            "RETURN "
        }
        let call = SQLLines.list(statement + target.name.sql + "(", declared.arguments.map { SQLText.identifier($0.name) },
                                 ");", indent: indent)
        return String(call.dropFirst(indent.count))
    }

    /// The helpers, then the entry point, each with exact EXECUTE grants: the entry point and
    /// the members' helper to `roles`, the service helper to `service_role` only. The helpers
    /// come first: the entry point's body names them.
    public func repeatableObjects(source: String, executableBy roles: [DatabaseRole]) -> [RepeatableObject] {
        var objects = [helper.repeatableObject(source: source, executableBy: roles)]
        if let serviceHelper {
            objects.append(serviceHelper.repeatableObject(source: source, executableBy: [.serviceRole]))
        }
        objects.append(entryPoint.repeatableObject(source: source, executableBy: roles))
        return objects
    }
}

extension StoredFunction {
    /// `schema.name(type, …)` as `has_function_privilege` reads it (a regprocedure's text).
    var signatureText: String {
        name.schema + "." + name.name + "(" + arguments.map(\.type.sql).joined(separator: ", ") + ")"
    }
}
