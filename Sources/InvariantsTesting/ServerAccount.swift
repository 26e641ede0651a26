import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The resolved OS account a server runs as, and how to run commands as it.
///
/// Switching users goes through a `setpriv` prefix rather than
/// swift-subprocess's `userID`/`groupID` options: those call setgroups in a
/// child forked from a multithreaded process and deadlocked now and then.
struct ServerAccount: Sendable, Hashable {
    let uid: UInt32
    let gid: UInt32
    /// Prepended to every server command; empty when no switch is needed.
    let commandPrefix: [String]

    static var current: ServerAccount {
        ServerAccount(uid: geteuid(), gid: getegid(), commandPrefix: [])
    }

    static func resolve(_ user: ServerUser) throws -> ServerAccount {
        switch user {
        case .currentUser:
            return .current
        case .automatic:
            return geteuid() == 0 ? try named("postgres") : .current
        case .named(let name):
            return try named(name)
        }
    }

    /// An account given by uid and gid, used for sweeping servers whose
    /// owner is only known from the data directory's owner.
    static func forOwner(uid: UInt32, gid: UInt32) throws -> ServerAccount {
        if uid == geteuid() { return .current }
        return ServerAccount(uid: uid, gid: gid, commandPrefix: try switchPrefix(uid: uid, gid: gid))
    }

    private static func named(_ name: String) throws -> ServerAccount {
        guard let entry = getpwnam(name) else {
            throw ThrowawayPostgresError(step: "looking up OS user \(name)", detail: "no such user")
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        if uid == geteuid() { return .current }
        return ServerAccount(uid: uid, gid: gid, commandPrefix: try switchPrefix(uid: uid, gid: gid))
    }

    private static func switchPrefix(uid: UInt32, gid: UInt32) throws -> [String] {
        guard geteuid() == 0 else {
            throw ThrowawayPostgresError(
                step: "switching to uid \(uid)", detail: "only root can run the server as another user")
        }
        guard let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ThrowawayPostgresError(
                step: "switching to uid \(uid)", detail: "setpriv (util-linux) is not installed")
        }
        return [setpriv, "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups"]
    }

    var isCurrentUser: Bool { commandPrefix.isEmpty }

    /// Hands a path we created to the server's user.
    func adopt(_ path: String) throws {
        guard !isCurrentUser else { return }
        if chown(path, uid, gid) != 0 {
            throw ThrowawayPostgresError(step: "chown \(path) to uid \(uid)", detail: String(cString: strerror(errno)))
        }
    }

    /// Fails early, with a clear message, when the server's user could not
    /// reach `directory`: otherwise initdb fails with a confusing
    /// "could not change directory" deep inside its output.
    func checkTraversable(_ directory: String) throws {
        guard !isCurrentUser else { return }
        var path = URL(fileURLWithPath: directory).standardizedFileURL.path
        while true {
            var info = stat()
            if stat(path, &info) == 0 {
                let mode = UInt32(info.st_mode)
                let traversable =
                    mode & UInt32(S_IXOTH) != 0
                    || (info.st_uid == uid && mode & UInt32(S_IXUSR) != 0)
                    || (info.st_gid == gid && mode & UInt32(S_IXGRP) != 0)
                if !traversable {
                    throw ThrowawayPostgresError(
                        step: "checking that uid \(uid) can reach \(directory)",
                        detail: "\(path) is not searchable by that user; use another base directory or chmod o+x \(path)")
                }
            }
            if path == "/" || path.isEmpty { return }
            path = (path as NSString).deletingLastPathComponent
        }
    }
}
