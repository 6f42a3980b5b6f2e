import ArchMeshDatabase
import Foundation
import Subprocesses

/// pgbench (PostgreSQL's own load driver, written in C) running a `ReplayWorkload` against the
/// database: `clients` connections, each running scripts back to back for `seconds`, the scripts
/// chosen by weight. Statements are prepared once per connection (`-M prepared`) and planned for
/// each execution's values (`plan_cache_mode=force_custom_plan`, as the reference server has its
/// statements planned): the database's part of the work, and none of a driver's. Every session is
/// read-only (`default_transaction_read_only`), so that a statement that writes after all (a
/// function, `nextval`, `SELECT INTO`) fails loudly instead of changing the data.
public enum Pgbench {
    /// What pgbench printed at its end.
    public struct Outcome: Sendable, Equatable {
        public var transactions: Int
        public var failed: Int
        public var transactionsPerSecond: Double
        public var latencyAverageMilliseconds: Double?
        /// A client's error when pgbench stopped it (the run's figures are then partial).
        public var aborted: String?
    }

    /// pgbench: beside the server programs the embedded cluster runs, else on the PATH.
    public static func locate() -> String? {
        if let directory = try? PostgresBinaries.locate().directory.appendingPathComponent("pgbench").path,
            FileManager.default.isExecutableFile(atPath: directory)
        {
            return directory
        }
        return ChildProcess.onPath("pgbench")
    }

    /// The sessions' settings (`PGOPTIONS`).
    static let sessionOptions = "-c plan_cache_mode=force_custom_plan -c default_transaction_read_only=on"

    /// How long pgbench may run past its `--time` (it checks the time between transactions only,
    /// so a statement waiting on a lock would hold it) before it is stopped.
    static let grace: Duration = .seconds(15)

    /// The options that say how pgbench runs, before the scripts and their values.
    static func options(clients: Int, seconds: Int) -> [String] {
        [
            "--no-vacuum", "--protocol=prepared", "--client=\(clients)",
            "--jobs=\(max(1, min(clients, ProcessInfo.processInfo.activeProcessorCount)))", "--time=\(seconds)",
        ]
    }

    /// The arguments for `scripts` written as `files` (same order).
    static func arguments(_ workload: ReplayWorkload, files: [String], clients: Int, seconds: Int) -> [String] {
        var arguments = options(clients: clients, seconds: seconds)
        for (script, file) in zip(workload.scripts, files) { arguments.append("--file=\(file)@\(script.weight)") }
        for script in workload.scripts {
            for (name, value) in script.variables.sorted(by: { $0.key < $1.key }) { arguments.append("--define=\(name)=\(value)") }
        }
        return arguments
    }

    /// How the report shows the command (the scripts' files and their values by count).
    static func commandLine(_ workload: ReplayWorkload, clients: Int, seconds: Int) -> String {
        (["PGOPTIONS='\(sessionOptions)'", "pgbench"] + options(clients: clients, seconds: seconds)
            + ["--file=<script>@<weight> x\(workload.scripts.count)", "--define=<name>=<value> x\(workload.scripts.reduce(0) { $0 + $1.variables.count })"])
            .joined(separator: " ")
    }

    /// Runs the workload to its end (or until the task is cancelled, when pgbench is stopped).
    public static func run(
        _ workload: ReplayWorkload, database: DatabaseURL, clients: Int, seconds: Int, executable: String
    ) async throws(DatabaseLoadUnavailable) -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (index, script) in workload.scripts.enumerated() {
                let file = directory.appendingPathComponent("statement-\(script.statement)-\(index).sql")
                try script.text.write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
            }
        } catch {
            throw DatabaseLoadUnavailable("cannot write pgbench's scripts: \(error)")
        }
        let logFile = directory.appendingPathComponent("pgbench.out")
        let descriptor = open(logFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw DatabaseLoadUnavailable("cannot write \(logFile.path)") }
        var environment = [
            "PGHOST": database.host, "PGPORT": String(database.port), "PGUSER": database.username, "PGDATABASE": database.database,
            "PGSSLMODE": database.tlsMode.rawValue, "PGAPPNAME": "archmesh-database-scenario", "PGOPTIONS": sessionOptions,
        ]
        if let password = database.password { environment["PGPASSWORD"] = password }
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(
                executable, arguments(workload, files: files, clients: clients, seconds: seconds), output: descriptor, environment: environment)
        } catch {
            close(descriptor)
            throw DatabaseLoadUnavailable("pgbench did not start: \(error)")
        }
        close(descriptor)
        // pgbench's end, or its being stopped when it overstays (then the waiting task sees it end too).
        enum Ending: Sendable { case exited(Int32), overdue, onTime }
        let (status, overdue) = await withTaskCancellationHandler {
            await withTaskGroup(of: Ending.self) { group in
                group.addTask { .exited(await child.wait()) }
                group.addTask {
                    guard (try? await Task.sleep(for: .seconds(seconds) + grace)) != nil else { return .onTime }
                    _ = await child.terminate(grace: .seconds(2))
                    return .overdue
                }
                var status: Int32 = -1
                var overdue = false
                for await ending in group {
                    switch ending {
                    case .exited(let code):
                        status = code
                        group.cancelAll()
                    case .overdue: overdue = true
                    case .onTime: break
                    }
                }
                return (status, overdue)
            }
        } onCancel: {
            child.signal(SIGINT)
        }
        let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        if Task.isCancelled { throw DatabaseLoadUnavailable("interrupted") }
        if overdue {
            throw DatabaseLoadUnavailable("pgbench was stopped \(grace.seconds) s after its \(seconds) s were over (a statement waiting on a lock?)")
        }
        guard let outcome = parse(output) else {
            let said = output.split(separator: "\n").filter { $0.contains("error") || $0.contains("fatal") }.prefix(3)
            throw DatabaseLoadUnavailable("pgbench exited with \(status): " + (said.isEmpty ? String(output.suffix(400)) : said.joined(separator: " ")))
        }
        return outcome
    }

    /// pgbench's summary: transactions processed and failed, latency average and tps; the first
    /// client's abort when there was one (when every client was stopped, pgbench prints no summary:
    /// nothing was processed). Nil when the output has neither.
    static func parse(_ output: String) -> Outcome? {
        var transactions: Int?
        var failed = 0
        var tps: Double?
        var latency: Double?
        var aborted: String?
        var preparing: String?
        for line in output.split(separator: "\n") {
            func number(after prefix: String) -> Double? {
                guard line.hasPrefix(prefix) else { return nil }
                return Double(line.dropFirst(prefix.count).prefix { $0.isNumber || $0 == "." })
            }
            if let value = number(after: "number of transactions actually processed: ") {
                // "N/M" when clients were told a number of transactions.
                transactions = Int(value)
            } else if let value = number(after: "number of failed transactions: ") {
                failed = Int(value)
            } else if let value = number(after: "latency average = ") {
                latency = value
            } else if tps == nil, let value = number(after: "tps = ") {
                tps = value
            } else if aborted == nil, let range = line.range(of: " aborted in command ") {
                var message = line[range.upperBound...].drop { $0 != ":" }.dropFirst().trimmingCharacters(in: .whitespaces)
                // A statement PostgreSQL would not prepare: pgbench says so first, then aborts on
                // executing it ("prepared statement ... does not exist"); the first is the cause.
                if message.contains("prepared statement"), let cause = preparing { message = cause }
                aborted = message.isEmpty ? String(line) : message
            } else if preparing == nil, line.hasPrefix("pgbench: error: ERROR:  ") {
                preparing = String(line.dropFirst("pgbench: error: ".count))
            }
        }
        guard let transactions, let tps, tps.isFinite else {
            return aborted.map { Outcome(transactions: 0, failed: 0, transactionsPerSecond: 0, latencyAverageMilliseconds: nil, aborted: $0) }
        }
        return Outcome(transactions: transactions, failed: failed, transactionsPerSecond: tps, latencyAverageMilliseconds: latency, aborted: aborted)
    }
}

/// Why a database scenario's replay did not run, or did not finish.
public struct DatabaseLoadUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
