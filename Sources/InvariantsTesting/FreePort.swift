import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the kernel for a currently free TCP port on 127.0.0.1.
///
/// The port is released before PostgreSQL binds it, so another process can
/// take it in between; the caller retries the start on "address in use".
/// Tests also use it for "a port nobody listens on".
public func freeLoopbackPort() throws -> Int {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    guard fd >= 0 else {
        throw ThrowawayPostgresError(step: "socket()", detail: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else {
        throw ThrowawayPostgresError(step: "bind(127.0.0.1:0)", detail: String(cString: strerror(errno)))
    }
    var actual = sockaddr_in()
    var actualLength = length
    let named = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
    }
    guard named == 0 else {
        throw ThrowawayPostgresError(step: "getsockname()", detail: String(cString: strerror(errno)))
    }
    return Int(UInt16(bigEndian: actual.sin_port))
}
