import ArchMeshDatabase
import LoadEngine

/// A `database` scenario's second part: after the API's part, the statements it ran are replayed
/// straight against its database with pgbench, at the scenario's users (or the server's pool, when
/// smaller: the API never had more statements running at once), for as long as the API's part
/// ran, and the two throughputs are compared.
enum DatabaseReplay {
    /// `statements` and `executions`: what the correlation probe read for the API's part (nil
    /// when it could not read them); `poolSize`: the server's, when its metrics say.
    static func compare(
        load: LoadResult, statements: [StatementFigures]?, executions: [LoggedExecution]?, database: DatabaseURL?,
        users: Int, poolSize: Int?, expectation: DatabaseLoadExpectation, pgbench: String?
    ) async -> DatabaseComparison {
        let seconds = max(1, Int(load.durationSeconds.rounded()))
        // One count for both: answers without an error, per second and per statement.
        let answered = Double(load.successfulRequests) / max(load.durationSeconds, 1e-9)
        let workload = ReplayWorkload(statements: statements ?? [], requests: load.successfulRequests, executions: executions ?? [])
        let clients = max(1, min(users, poolSize.flatMap { $0 > 0 ? $0 : nil } ?? users))
        var comparison = DatabaseComparison(
            apiRequestsPerSecond: answered, workload: workload, clients: clients, seconds: seconds, minRatio: expectation.minRatio)
        guard let database else {
            comparison.failure = "no DATABASE_URL for the target's database: there is nothing to replay the statements against"
            return comparison
        }
        guard let statements else {
            comparison.failure = "pg_stat_statements is not readable in the target's database (CREATE EXTENSION pg_stat_statements, with the module in shared_preload_libraries)"
            return comparison
        }
        guard !statements.isEmpty, load.successfulRequests > 0 else {
            comparison.failure = load.successfulRequests == 0 ? "the API answered no request without an error" : "the API ran no statement during the scenario"
            return comparison
        }
        guard !workload.scripts.isEmpty else {
            comparison.failure = "none of the \(statements.count) statements the API ran can be replayed (each one's reason is listed)"
            return comparison
        }
        guard let pgbench = pgbench ?? Pgbench.locate() else {
            comparison.failure = "pgbench was not found (it comes with PostgreSQL's server programs: \(PostgresBinaries.installHint))"
            return comparison
        }
        comparison.command = Pgbench.commandLine(workload, clients: clients, seconds: seconds)
        do {
            let outcome = try await Pgbench.run(workload, database: database, clients: clients, seconds: seconds, executable: pgbench)
            comparison.databaseStatementsPerSecond = outcome.transactionsPerSecond
            comparison.databaseLatencyMilliseconds = outcome.latencyAverageMilliseconds
            comparison.transactions = outcome.transactions
            comparison.failedTransactions = outcome.failed
            comparison.aborted = outcome.aborted
        } catch {
            comparison.failure = error.description
        }
        return comparison
    }
}
