import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates a server directory, runs initdb and starts the postmaster.
struct ServerLauncher {
    let options: ThrowawayPostgresOptions

    /// Port collisions (another process took the port between our probe and
    /// the bind) are retried with a new port this many times.
    private static let startAttempts = 5

    func launch() async throws -> ThrowawayPostgres {
        let clock = ContinuousClock()
        let began = clock.now
        let account = try ServerAccount.resolve(options.runServerAs)
        let base = ServerLayout.absoluteBase(options.baseDirectory)
        await ThrowawayPostgres.removeStaleDirectories(in: base)

        try createBase(base, for: account)
        let layout = try createServerDirectory(in: base, for: account)
        let password = RandomToken.make(length: 32)
        var registered = false
        do {
            try await initialize(layout, password: password, account: account)
            try writeSettings(layout)
            let port = try await startWithFreePort(layout, account: account)
            if options.stopAtExit {
                ExitCleanup.register(
                    .init(
                        stopCommand: account.commandPrefix
                            + [options.binDirectory + "/pg_ctl", "stop", "-s", "-w", "-m", "immediate",
                               "-D", layout.dataDirectory],
                        directory: layout.root))
                registered = true
            }
            return ThrowawayPostgres(
                layout: layout, port: port, password: password, binDirectory: options.binDirectory,
                account: account, startupDuration: clock.now - began)
        } catch {
            if !registered { try? FileManager.default.removeItem(atPath: layout.root) }
            throw error
        }
    }

    private func createBase(_ base: String, for account: ServerAccount) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) {
            do {
                // 0755 so another server user can pass through a base we create.
                try FileManager.default.createDirectory(
                    atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                throw ThrowawayPostgresError(step: "creating \(base)", detail: String(reflecting: error))
            }
        }
        try account.checkTraversable(base)
    }

    /// A new `invariants-pg-<random>` directory with its owner record, handed to `account`.
    func createServerDirectory(in base: String, for account: ServerAccount) throws -> ServerLayout {
        let layout = ServerLayout(root: base + "/" + ServerLayout.directoryPrefix + RandomToken.make(length: 10))
        do {
            // 0700: the socket is trusted, so only the server's user may reach it.
            try FileManager.default.createDirectory(
                atPath: layout.root, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            // Written before anything slow, so a sweep never sees an ownerless directory for long.
            try OwnerRecord.current.serialized.write(toFile: layout.ownerFile, atomically: true, encoding: .utf8)
            try account.adopt(layout.root)
        } catch let error as ThrowawayPostgresError {
            throw error
        } catch {
            throw ThrowawayPostgresError(step: "creating \(layout.root)", detail: String(reflecting: error))
        }
        return layout
    }

    private func initialize(_ layout: ServerLayout, password: String, account: ServerAccount) async throws {
        guard FileManager.default.createFile(
            atPath: layout.passwordFile, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ThrowawayPostgresError(step: "writing \(layout.passwordFile)", detail: "could not create file")
        }
        try account.adopt(layout.passwordFile)
        defer { try? FileManager.default.removeItem(atPath: layout.passwordFile) }
        try await ServerCommand(
            arguments: [
                options.binDirectory + "/initdb", "-D", layout.dataDirectory, "-U", "postgres",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=\(layout.passwordFile)",
                "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions",
            ],
            account: account, workingDirectory: layout.root
        ).runChecked()
    }

    /// Appends our settings to postgresql.conf; later lines win over initdb's.
    private func writeSettings(_ layout: ServerLayout) throws {
        var settings: [(String, String)] = [
            ("listen_addresses", "127.0.0.1"),
            ("unix_socket_directories", layout.socketDirectory),
            ("fsync", options.fsync ? "on" : "off"),
            // One server serves every test of a process, many in parallel, each with a pool:
            // PostgreSQL's default 100 runs out.
            ("max_connections", "500"),
        ]
        if !options.fsync {
            settings += [("synchronous_commit", "off"), ("full_page_writes", "off")]
        }
        settings += options.extraSettings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let text = "\n# invariants-testing\n"
            + settings.map { "\($0.0) = \(quoteSettingValue($0.1))\n" }.joined()
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: layout.configurationFile))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ThrowawayPostgresError(step: "writing \(layout.configurationFile)", detail: String(reflecting: error))
        }
    }

    /// Starts the postmaster of `layout` on a free port; used for replicas too.
    func startWithFreePort(_ layout: ServerLayout, account: ServerAccount) async throws -> Int {
        var attempt = 1
        while true {
            let port = try freeLoopbackPort()
            let output = try await ServerCommand(
                arguments: [
                    options.binDirectory + "/pg_ctl", "start", "-s", "-w", "-t", "60", "-D", layout.dataDirectory,
                    "-l", layout.logFile, "-o", "-p \(port)",
                ],
                account: account, workingDirectory: layout.root
            ).run()
            if output.succeeded { return port }
            let log = readTail(layout.logFile)
            if attempt < Self.startAttempts, log.contains("could not bind") || log.contains("already in use") {
                attempt += 1
                continue
            }
            throw ThrowawayPostgresError(
                step: "pg_ctl start -D \(layout.dataDirectory) (port \(port))",
                detail: [output.status, output.standardError].filter { !$0.isEmpty }.joined(separator: "\n"),
                logTail: log)
        }
    }
}
