import Foundation

/// A suite run's report: the original runner's `summary` and `scenarios`, plus a schema version,
/// the environment, and everything needed to re-render or compare it later.
public struct SuiteReport: Codable, Sendable {
    /// Bumped when a key changes meaning or goes away; new keys do not bump it.
    public static let currentSchemaVersion = 2

    public var schemaVersion: Int
    /// True when the run was stopped before its end (Ctrl-C); what was measured until then is here.
    public var interrupted: Bool
    public var summary: Summary
    public var environment: EnvironmentInfo
    public var scenarios: [ScenarioResult]

    public init(schemaVersion: Int, interrupted: Bool, summary: Summary, environment: EnvironmentInfo, scenarios: [ScenarioResult]) {
        self.schemaVersion = schemaVersion
        self.interrupted = interrupted
        self.summary = summary
        self.environment = environment
        self.scenarios = scenarios
    }

    public struct Summary: Codable, Sendable {
        public var startTime: Date
        public var endTime: Date
        public var totalScenarios: Int
        public var passed: Int
        public var failed: Int

        public init(startTime: Date, endTime: Date, totalScenarios: Int, passed: Int, failed: Int) {
            self.startTime = startTime
            self.endTime = endTime
            self.totalScenarios = totalScenarios
            self.passed = passed
            self.failed = failed
        }
    }

    /// The encoder every report is written with (see `ReportCoding`).
    public static var encoder: JSONEncoder { ReportCoding.encoder }

    public static var decoder: JSONDecoder { ReportCoding.decoder }

    /// Writes the report to `path` atomically: a reader never sees half a file.
    public func write(to path: String) throws {
        let data = try Self.encoder.encode(self)
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try data.write(to: temporary)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }

    /// Reads a report written by `write(to:)`; an unreadable or foreign file is a clear error.
    public static func read(from path: String) throws -> SuiteReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError(path: path, message: "cannot be read (does it exist?)")
        }
        do {
            return try decoder.decode(SuiteReport.self, from: data)
        } catch let error as DecodingError {
            throw ReportError(path: path, message: "is not an archmesh report (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context): return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let place = context.codingPath.map(\.stringValue).joined(separator: ".")
            return place.isEmpty ? context.debugDescription : "at \(place): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// A report file that cannot be used.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
