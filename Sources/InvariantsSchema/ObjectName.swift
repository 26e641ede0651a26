/// Deterministic PostgreSQL-style names for constraints, indexes and generated objects.
///
/// PostgreSQL silently truncates identifiers to 63 bytes (`NAMEDATALEN - 1`), so two long
/// names could collide after truncation. ``ObjectName/fitted(_:)`` instead keeps a prefix and
/// appends `_` plus 8 hex digits of a stable hash of the full name.
public enum ObjectName {
    /// The longest identifier PostgreSQL keeps, in UTF-8 bytes.
    public static let maxBytes = 63

    /// `<table>_<columns joined by _>_<suffix>`, e.g. `sessions_user_id_fkey`, fitted to 63 bytes.
    public static func derived(table: String, columns: [String], suffix: String) -> String {
        fitted(([table] + columns + [suffix]).joined(separator: "_"))
    }

    /// `name` itself when it fits in 63 bytes; otherwise a prefix ending on a character
    /// boundary, `_`, and 8 hex digits of the FNV-1a hash of the full name.
    public static func fitted(_ name: String) -> String {
        if name.utf8.count <= maxBytes { return name }
        let hash = "_" + hex8(fnv1a64(name))
        var prefix = ""
        var bytes = 0
        for character in name {
            let size = String(character).utf8.count
            if bytes + size + hash.utf8.count > maxBytes { break }
            prefix.append(character)
            bytes += size
        }
        return prefix + hash
    }

    /// A form of `name` for ledger keys and messages: bare when it is a plain lowercase
    /// identifier, otherwise double-quoted, so that keys stay unambiguous.
    public static func keyPart(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.enumerated().allSatisfy { index, scalar in
            switch scalar {
            case "a"..."z", "_": true
            case "0"..."9", "$": index > 0
            default: false
            }
        }
        return plain ? name : SQLText.identifier(name)
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex8(_ value: UInt64) -> String {
        let text = String((value >> 32) ^ (value & 0xffff_ffff), radix: 16)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }
}
