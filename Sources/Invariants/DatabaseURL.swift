public import PostgresNIO
import Foundation

/// A PostgreSQL connection URL in the standard form
/// `postgres://user:password@host:port/dbname?sslmode=require`.
///
/// Also accepted: the `postgresql://` scheme, percent-encoded user and password,
/// `?host=/path/to/socket/dir` for a Unix socket (libpq style), `connect_timeout`
/// (seconds) and `application_name`. The password never appears in `description`.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` values. `prefer` (the default, as in libpq) tries TLS and falls back;
    /// `require` encrypts without verifying the certificate; `verify-full` verifies it.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// Host name or IP; `nil` when `socketDirectory` is set.
    public var host: String?
    public var port: Int
    /// Directory holding the server's `.s.PGSQL.<port>` socket (from `?host=/dir`).
    public var socketDirectory: String?
    public var database: String
    public var sslMode: SSLMode
    public var connectTimeoutSeconds: Int
    public var applicationName: String?

    /// Parses a URL; throws ``InvariantsError`` with kind `.invalidURL` naming the problem.
    public init(_ text: String) throws(InvariantsError) {
        func bad(_ why: String) -> InvariantsError {
            InvariantsError(.invalidURL, "invalid database URL: \(why) (expected postgres://user:password@host:port/dbname)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw bad("it is empty") }
        guard let components = URLComponents(string: trimmed) else { throw bad("it is not a URL") }
        guard let scheme = components.scheme?.lowercased() else { throw bad("no scheme") }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw bad("scheme '\(scheme)' is not postgres:// or postgresql://")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            query[item.name] = item.value ?? ""
        }
        let known: Set<String> = ["sslmode", "host", "connect_timeout", "application_name", "port", "user", "password", "dbname"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw bad("unknown parameter '\(unknown)'")
        }

        let rawPort: Int?
        if let p = query["port"] {
            guard let n = Int(p) else { throw bad("port '\(p)' is not a number") }
            rawPort = n
        } else {
            rawPort = components.port
        }
        if let p = rawPort, !(1...65535).contains(p) { throw bad("port \(p) is out of range 1–65535") }
        self.port = rawPort ?? 5432

        let hostParam = query["host"]
        if let h = hostParam, h.hasPrefix("/") {
            socketDirectory = h
            host = nil
        } else {
            socketDirectory = nil
            let h = hostParam ?? components.percentEncodedHost.flatMap { $0.removingPercentEncoding }
            host = (h?.isEmpty ?? true) ? "localhost" : h
        }

        let userFromURL = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        guard let user = query["user"] ?? userFromURL, !user.isEmpty else { throw bad("no user name") }
        self.user = user
        self.password = query["password"] ?? components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }

        var path = components.percentEncodedPath
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else { throw bad("the database name '\(path)' contains '/'") }
        let dbname = query["dbname"] ?? path.removingPercentEncoding ?? path
        self.database = dbname.isEmpty ? user : dbname

        if let mode = query["sslmode"] {
            guard let m = SSLMode(rawValue: mode) else {
                throw bad("sslmode '\(mode)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = m
        } else {
            sslMode = socketDirectory == nil ? .prefer : .disable
        }
        if let t = query["connect_timeout"] {
            guard let n = Int(t), n > 0 else { throw bad("connect_timeout '\(t)' is not a positive number of seconds") }
            connectTimeoutSeconds = n
        } else {
            connectTimeoutSeconds = 5
        }
        applicationName = query["application_name"]
    }

    /// The URL with the password replaced by `***`, safe to print and log.
    public var description: String {
        let pw = password == nil ? "" : ":***"
        let at = socketDirectory.map { "?host=\($0)" } ?? ""
        let hostPart = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? ""
        return "postgres://\(user)\(pw)@\(hostPart):\(port)/\(database)\(at)"
    }

    /// Where the connection goes, for error messages (`127.0.0.1:5432` or the socket path).
    public var endpoint: String {
        if let dir = socketDirectory { return "\(dir)/.s.PGSQL.\(port)" }
        return "\(host ?? "localhost"):\(port)"
    }

    /// A configuration for a single `PostgresConnection`.
    public var connectionConfiguration: PostgresConnection.Configuration {
        get throws(InvariantsError) {
            var config: PostgresConnection.Configuration
            if let dir = socketDirectory {
                config = .init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            } else {
                config = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: try connectionTLS)
            }
            config.options.connectTimeout = .seconds(Int64(connectTimeoutSeconds))
            if let name = applicationName { config.options.additionalStartupParameters.append(("application_name", name)) }
            return config
        }
    }

    /// A configuration for a pooled `PostgresClient`.
    public var clientConfiguration: PostgresClient.Configuration {
        get throws(InvariantsError) {
            var config: PostgresClient.Configuration
            if let dir = socketDirectory {
                config = .init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            } else {
                let tls: PostgresClient.Configuration.TLS
                switch sslMode {
                case .disable: tls = .disable
                case .allow, .prefer: tls = .prefer(Self.unverified)
                case .require: tls = .require(Self.unverified)
                case .verifyCA, .verifyFull: tls = .require(.makeClientConfiguration())
                }
                config = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: tls)
            }
            config.options.connectTimeout = .seconds(connectTimeoutSeconds)
            if let name = applicationName { config.options.additionalStartupParameters.append(("application_name", name)) }
            return config
        }
    }

    private var connectionTLS: PostgresConnection.Configuration.TLS {
        get throws(InvariantsError) {
            do {
                switch sslMode {
                case .disable: return .disable
                case .allow, .prefer: return .prefer(try NIOSSLContext(configuration: Self.unverified))
                case .require: return .require(try NIOSSLContext(configuration: Self.unverified))
                case .verifyCA, .verifyFull: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw InvariantsError(.connectionFailed, "cannot set up TLS for sslmode=\(sslMode.rawValue): \(error)")
            }
        }
    }

    /// libpq's `require`/`prefer` encrypt without verifying the server certificate.
    private static var unverified: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }
}
