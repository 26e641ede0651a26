import Crypto

/// SHA-256 as lowercase hex, prefixed with the algorithm (`sha256:…`), as stored in the ledger.
public enum Checksum {
    public static func sha256(_ text: String) -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        return "sha256:" + digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
