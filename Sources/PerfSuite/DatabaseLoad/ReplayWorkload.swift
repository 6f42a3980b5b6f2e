/// The work a `database` scenario replays straight against PostgreSQL: the statements the API ran
/// during the scenario (`pg_stat_statements`), each in proportion to its calls per API request,
/// with the values of executions PostgreSQL logged (`ExecutionLog`), as pgbench scripts. A statement
/// that cannot be replayed faithfully is left out, with the reason.
public struct ReplayWorkload: Sendable {
    /// One pgbench script: one statement with one execution's values, chosen by weight.
    public struct Script: Sendable, Equatable {
        /// The statement, its parameters written as pgbench variables (`:v12_1`, named for this
        /// script alone: pgbench's variables are one set for all scripts), ended by `;`.
        public var text: String
        /// The variables' values (pgbench `-D name=value`).
        public var variables: [String: String]
        /// pgbench's `@weight`: the statement's calls per request, shared among its scripts.
        public var weight: Int
        /// Which of `statements` it replays.
        public var statement: Int

        /// What its `--define=name=value` arguments take on pgbench's command line (with their
        /// pointers and ends).
        var argumentBytes: Int {
            variables.reduce(0) { $0 + "--define=".utf8.count + $1.key.utf8.count + 1 + $1.value.utf8.count + 1 + 8 }
        }
    }

    public var scripts: [Script]
    public var statements: [ReplayedStatement]

    /// Statements a request ran, of those replayed: how statements a second become requests' worth.
    public var statementsPerRequest: Double {
        statements.filter { $0.leftOut == nil }.reduce(0) { $0 + $1.callsPerRequest }
    }

    /// The share of the database's execution time during the API's part that the replayed
    /// statements took (1 when nothing is left out; 0 when nothing ran).
    public var replayedShare: Double {
        let total = statements.reduce(0) { $0 + $1.totalMilliseconds }
        guard total > 0 else { return statements.isEmpty || statements.allSatisfy { $0.leftOut != nil } ? 0 : 1 }
        return statements.filter { $0.leftOut == nil }.reduce(0) { $0 + $1.totalMilliseconds } / total
    }

    /// pgbench takes at most 128 scripts.
    static let maximumScripts = 128
    /// Distinct sets of values replayed per statement, at most.
    static let samplesPerStatement = 16
    /// A statement called less often than this per request is too rare to weigh in.
    static let leastCallsPerRequest = 0.01
    /// pgbench's parameters per statement (its MAX_ARGS, the statement itself one of them).
    static let maximumParameters = 255
    /// The bytes of one script's values at most: they go on pgbench's command line, which the
    /// system bounds.
    static let maximumValueBytes = 8 * 1024
    /// The bytes of all the scripts' values and names on pgbench's command line at most (Linux
    /// takes 2 MiB of arguments and environment by default).
    static let maximumArgumentBytes = 1024 * 1024

    /// `statements`: what ran during the scenario; `requests`: the API requests that made them
    /// (those answered without an error, as the API's throughput counts them); `executions`: the
    /// sampled executions, with their values.
    public init(statements figures: [StatementFigures], requests: Int, executions: [LoggedExecution]) {
        var byShape: [String: [LoggedExecution]] = [:]
        for execution in executions { byShape[StatementShape.of(execution.query), default: []].append(execution) }
        scripts = []
        statements = []
        var nextID = 0
        var argumentBytes = 0
        for figure in figures.sorted(by: { $0.calls > $1.calls }) {
            let perRequest = Double(figure.calls) / Double(max(requests, 1))
            var statement = ReplayedStatement(
                query: figure.singleLineQuery, calls: figure.calls, callsPerRequest: perRequest, totalMilliseconds: figure.totalMilliseconds, samples: 0)
            defer { statements.append(statement) }
            if let reason = Self.reasonNotToReplay(figure.query) { statement.leftOut = reason; continue }
            guard perRequest >= Self.leastCallsPerRequest else {
                statement.leftOut = "rare: \(figure.calls) calls for \(requests) requests"
                continue
            }
            let index = statements.count
            var chosen: [Script] = []
            var attempted = 0
            let logged = byShape[StatementShape.of(figure.query)] ?? []
            if logged.isEmpty, !figure.query.contains("$") {
                // No values to find: the text is the statement.
                attempted = 1
                if let script = Self.script(LoggedExecution(query: figure.query), statement: index, id: nextID) { chosen = [script] }
                nextID += 1
            } else {
                var seen = Set<[String?]>()
                for execution in logged where seen.insert(execution.parameters).inserted {
                    attempted += 1
                    if let script = Self.script(execution, statement: index, id: nextID) { chosen.append(script) }
                    nextID += 1
                }
            }
            guard !chosen.isEmpty else {
                statement.leftOut = attempted == 0
                    ? "no sampled execution of it, with its values, was found in PostgreSQL's log (the harness reads them there on clusters archmesh runs)"
                    : "it cannot be written as a pgbench script (pgbench would read it otherwise than PostgreSQL does)"
                continue
            }
            // As many of its sets of values as pgbench's scripts and command line still have room for.
            chosen = Self.spread(chosen, keeping: min(Self.samplesPerStatement, Self.maximumScripts - scripts.count))
            while !chosen.isEmpty, argumentBytes + chosen.reduce(0, { $0 + $1.argumentBytes }) > Self.maximumArgumentBytes {
                chosen.removeLast()
            }
            guard !chosen.isEmpty else {
                statement.leftOut = scripts.count >= Self.maximumScripts
                    ? "beyond pgbench's \(Self.maximumScripts) scripts" : "its values would not fit on pgbench's command line"
                continue
            }
            argumentBytes += chosen.reduce(0) { $0 + $1.argumentBytes }
            let weight = max(1, Int((10_000 * perRequest / Double(chosen.count)).rounded()))
            statement.samples = chosen.count
            scripts += chosen.map { var script = $0; script.weight = weight; return script }
        }
    }

    /// Why a statement is not replayed: it changes data (running it again would add, change or
    /// remove rows, or conflict with the API's), it is not a query, or pgbench would misread it.
    static func reasonNotToReplay(_ query: String) -> String? {
        let words = query.split(whereSeparator: { !($0.isLetter || $0 == "_") }).map { $0.uppercased() }
        guard let first = words.first else { return "empty" }
        guard ["SELECT", "WITH", "VALUES", "TABLE"].contains(first) else {
            return ["INSERT", "UPDATE", "DELETE", "MERGE", "COPY"].contains(first)
                ? "writes: running it again would change the data" : "not a query (\(first))"
        }
        // FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE.
        for (word, next) in zip(words, words.dropFirst()) where word == "FOR" && ["UPDATE", "NO", "SHARE", "KEY"].contains(next) {
            return "takes row locks: replayed at once, its copies would wait on each other"
        }
        if words.contains(where: { ["INSERT", "UPDATE", "DELETE", "MERGE"].contains($0) }) {
            return "writes: running it again would change the data"
        }
        return nil
    }

    /// At most `count` of `scripts`, spread over them (the log's order is the run's).
    static func spread(_ scripts: [Script], keeping count: Int) -> [Script] {
        guard scripts.count > count else { return scripts }
        return (0..<count).map { scripts[$0 * scripts.count / count] }
    }

    /// One execution as a pgbench script: `$n` outside quotes and comments becomes `:v<id>_<n>`
    /// (`NULL` and an empty string written out: pgbench takes no empty value). Nil when pgbench
    /// would not run it as PostgreSQL did: a parameter the execution has no value for, more
    /// parameters than pgbench takes, values too long for its command line, several statements, a
    /// backslash command, or a `:name` of its own.
    static func script(_ execution: LoggedExecution, statement: Int, id: Int) -> Script? {
        var variables: [String: String] = [:]
        var occurrences = 0
        let scanned = SQLText.replacingParameters(in: execution.query) { number in
            guard number >= 1, number <= execution.parameters.count else { return nil }
            guard let value = execution.parameters[number - 1] else { return "NULL" }
            guard !value.isEmpty else { return "''" }
            let name = "v\(id)_\(number)"
            variables[name] = value
            // pgbench makes each use of a variable a parameter of its own.
            occurrences += 1
            return ":" + name
        }
        guard let text = scanned, occurrences <= Self.maximumParameters,
            variables.values.reduce(0, { $0 + $1.utf8.count }) <= Self.maximumValueBytes
        else { return nil }
        return Script(text: text + ";\n", variables: variables, weight: 1, statement: statement)
    }
}

/// A statement the API ran, and how (or whether) the database scenario replays it.
public struct ReplayedStatement: Codable, Sendable, Equatable {
    public var query: String
    /// Executions during the API's part of the scenario.
    public var calls: Int
    public var callsPerRequest: Double
    /// Its execution time during the API's part (`pg_stat_statements`).
    public var totalMilliseconds: Double
    /// Distinct sets of values replayed.
    public var samples: Int
    /// Why it is not replayed; nil when it is.
    public var leftOut: String?

    public init(query: String, calls: Int, callsPerRequest: Double, totalMilliseconds: Double, samples: Int, leftOut: String? = nil) {
        self.query = query
        self.calls = calls
        self.callsPerRequest = callsPerRequest
        self.totalMilliseconds = totalMilliseconds
        self.samples = samples
        self.leftOut = leftOut
    }

    enum CodingKeys: String, CodingKey {
        case query, calls, callsPerRequest, totalMilliseconds = "totalMs", samples, leftOut
    }
}
