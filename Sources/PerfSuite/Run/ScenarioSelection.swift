/// Which scenarios a run takes: by key, by type, by severity (all three narrow together).
public struct ScenarioSelection: Sendable {
    public var keys: [String] = []
    public var type: ScenarioType?
    public var severity: Severity?

    public init(keys: [String] = [], type: ScenarioType? = nil, severity: Severity? = nil) {
        self.keys = keys
        self.type = type
        self.severity = severity
    }

    /// The selected scenarios in file order; an unknown key is an error that lists the valid ones.
    public func apply(to configuration: SuiteConfiguration) throws -> [Scenario] {
        let known = configuration.scenarios.map(\.key)
        let unknown = keys.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw SuiteError.selection(
                "unknown scenario\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")); valid: \(known.joined(separator: ", "))")
        }
        let chosen = configuration.scenarios.filter { scenario in
            (keys.isEmpty || keys.contains(scenario.key)) && (type == nil || scenario.type == type)
                && (severity == nil || scenario.severity == severity)
        }
        guard !chosen.isEmpty else { throw SuiteError.selection("no scenario matches the selection (see --list)") }
        return chosen
    }
}
