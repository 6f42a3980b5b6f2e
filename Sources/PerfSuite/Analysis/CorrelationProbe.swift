import ArchMeshDatabase
import Foundation
import LoadEngine
import Logging
import NIOSSL

/// Reads the server's counters and `pg_stat_statements` before and after a scenario, and marks
/// where the scenario's part of the server log begins.
public struct CorrelationProbe: Sendable {
    public struct Readings: Sendable {
        public var server: ServerCounters?
        public var statements: [StatementFigures]?
        /// Plans of the busiest statements, taken during the scenario; nil when PostgreSQL's log is not the harness's.
        public var plans: [CapturedPlan]?
        /// The executions PostgreSQL logged with their values during the scenario, when asked for
        /// (a `database` scenario replays them); nil when PostgreSQL's log is not the harness's.
        public var executions: [LoggedExecution]?
    }

    let target: LoadTarget
    let database: DatabaseURL?
    let serverLog: String?
    let sideChannelTLS: TLSConfiguration?
    let server: ServerCounters?
    let statements: StatementSnapshot?
    let logOffset: UInt64
    let databaseLog: String?
    let databaseLogOffset: UInt64

    /// Takes the "before" readings.
    public static func start(environment: any TargetEnvironment, logger: Logger) async -> CorrelationProbe {
        let statements: StatementSnapshot? = if let database = environment.database { await StatementSnapshot.read(database, logger: logger) } else { nil }
        let server = await ServerCounters.read(from: environment.target, tls: environment.sideChannelTLS)
        let offset = environment.serverLog.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? UInt64 } ?? 0
        return CorrelationProbe(
            target: environment.target, database: environment.database, serverLog: environment.serverLog,
            sideChannelTLS: environment.sideChannelTLS, server: server, statements: statements,
            logOffset: offset, databaseLog: environment.databaseLog, databaseLogOffset: environment.databaseLog.map(PlanCapture.offset(of:)) ?? 0)
    }

    /// Takes the "after" readings and returns the differences; with `executions`, also the
    /// sampled executions and their values.
    public func finish(executions: Bool = false, logger: Logger) async -> Readings {
        let afterServer = await ServerCounters.read(from: target, tls: sideChannelTLS)
        let afterStatements: StatementSnapshot? = if let database { await StatementSnapshot.read(database, logger: logger) } else { nil }
        var readings = Readings()
        if let before = server, let after = afterServer {
            readings.server = ServerCounters(requests: after.requests - before.requests, queries: after.queries - before.queries, poolSize: after.poolSize)
        }
        if let before = statements, let after = afterStatements { readings.statements = after.since(before) }
        if let databaseLog, let database {
            let text = PlanCapture.text(of: databaseLog, from: databaseLogOffset) ?? ""
            readings.plans = PlanCapture.plans(in: text, database: database.database, statements: readings.statements ?? [])
            if executions { readings.executions = ExecutionLog.executions(in: text, database: database.database) }
        }
        return readings
    }

    /// The server log's lines for the given request IDs, from the scenario's part of the log.
    public func logLines(for requestIDs: [String], limit: Int = 2000) -> [String: String] {
        guard let serverLog, !requestIDs.isEmpty, let handle = FileHandle(forReadingAtPath: serverLog) else { return [:] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: logOffset)) != nil, let data = try? handle.readToEnd() else { return [:] }
        let wanted = Set(requestIDs)
        var found: [String: String] = [:]
        let marker = Array(#""request_id":""#.utf8)
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var lineStart = 0
            while lineStart < bytes.count, found.count < wanted.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                if let id = Self.requestID(in: bytes, from: lineStart, to: lineEnd, marker: marker), wanted.contains(id), found[id] == nil {
                    let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd]), as: UTF8.self)
                    found[id] = String(line.prefix(limit))
                }
                lineStart = lineEnd + 1
            }
        }
        return found
    }

    /// The value after `"request_id":"` in one line, if the line has one.
    private static func requestID(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, marker: [UInt8]) -> String? {
        var index = start
        while index + marker.count < end {
            if bytes[index] == marker[0] {
                var matched = true
                for offset in 1..<marker.count where bytes[index + offset] != marker[offset] { matched = false; break }
                if matched {
                    let valueStart = index + marker.count
                    var valueEnd = valueStart
                    while valueEnd < end, bytes[valueEnd] != UInt8(ascii: "\"") { valueEnd += 1 }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
                }
            }
            index += 1
        }
        return nil
    }
}
