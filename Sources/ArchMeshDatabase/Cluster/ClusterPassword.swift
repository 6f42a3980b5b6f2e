/// Random secrets for the clusters this tool makes: never logged, never shown in errors.
enum ClusterPassword {
    /// 32 hex digits from the system's random source.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<32).map { _ in digits[Int(generator.next() % 16)] })
    }
}
