/// Random lowercase tokens for directory names, database names and passwords.
///
/// Lowercase letters and digits only, so a token is a valid unquoted SQL
/// identifier part, a URL component and a file name without escaping.
enum RandomToken {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    static func make(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
