import Foundation
import PerfSuite
import PostgresNIO

/// What `--baseline` names: a report file, or a run from the history (`last`, a run's number,
/// `best-of:N`).
public enum BaselineReference: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case last
    case run(Int64)
    /// The best of the last N complete runs of the same scenarios.
    case bestOf(Int)

    /// A file that exists is a file, whatever its name; otherwise `last`, `best-of:N` or a run's
    /// number; anything else is a file (that does not exist, which the caller says).
    public init(_ text: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws {
        if fileExists(text) {
            self = .file(text)
        } else if text == "last" {
            self = .last
        } else if text.hasPrefix("best-of:") {
            guard let count = Int(text.dropFirst("best-of:".count)), (1...100).contains(count) else {
                throw HistoryError.noBaseline("--baseline \(text): best-of:N takes N from 1 to 100, e.g. best-of:5")
            }
            self = .bestOf(count)
        } else if let id = Int64(text), id > 0 {
            self = .run(id)
        } else {
            self = .file(text)
        }
    }

    public var needsHistory: Bool {
        if case .file = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .file(let path): path
        case .last: "last"
        case .run(let id): "run \(id)"
        case .bestOf(let count): "best-of:\(count)"
        }
    }
}

extension HistoryStore {
    /// The recorded run a reference names, among complete runs that share a scenario with `keys`;
    /// its number and report.
    public func baseline(_ reference: BaselineReference, scenarios keys: [String]) async throws -> (run: Int64, report: SuiteReport) {
        switch reference {
        case .file(let path):
            throw HistoryError.noBaseline("\(path) is a file, not a recorded run")
        case .run(let id):
            return (id, try await report(run: id))
        case .last:
            guard let run = try await completeRuns(sharing: keys, limit: 1).first else {
                throw HistoryError.noBaseline("--baseline last: no complete recorded run has any of \(keys.joined(separator: ", "))")
            }
            return (run, try await report(run: run))
        case .bestOf(let count):
            let candidates = try await completeRuns(sharing: keys, limit: count)
            guard !candidates.isEmpty else {
                throw HistoryError.noBaseline("--baseline best-of:\(count): no complete recorded run has any of \(keys.joined(separator: ", "))")
            }
            var reports: [(Int64, SuiteReport)] = []
            for run in candidates { reports.append((run, try await report(run: run))) }
            let best = Self.best(reports, keys: keys)
            return best
        }
    }

    /// The newest `limit` suite runs that were not interrupted and have one of `keys`.
    private func completeRuns(sharing keys: [String], limit: Int) async throws -> [Int64] {
        try await url.withConnection(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT r.id FROM history_runs r
                WHERE r.kind = 'run' AND NOT r.interrupted
                    AND EXISTS (SELECT 1 FROM history_scenarios s WHERE s.run_id = r.id AND s.key = ANY(\(keys)))
                ORDER BY r.started_at DESC, r.id DESC
                LIMIT \(limit)
                """, logger: logger)
            var ids: [Int64] = []
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    /// The run whose scenarios rank best on p95 latency, averaged over the scenarios in `keys`
    /// that it ran (rank 0 is the fastest of the candidates that ran that scenario); the newest wins a tie.
    static func best(_ reports: [(Int64, SuiteReport)], keys: [String]) -> (run: Int64, report: SuiteReport) {
        var rankSums = [Double](repeating: 0, count: reports.count)
        var rankCounts = [Int](repeating: 0, count: reports.count)
        for key in keys {
            let figures = reports.enumerated().compactMap { index, entry -> (Int, Double)? in
                guard let scenario = entry.1.scenarios.first(where: { $0.key == key }), let p95 = scenario.load?.latency.p95 else { return nil }
                return (index, p95)
            }
            for (rank, (index, _)) in figures.sorted(by: { $0.1 < $1.1 }).enumerated() {
                rankSums[index] += Double(rank)
                rankCounts[index] += 1
            }
        }
        let scored = reports.indices.map { index in rankCounts[index] == 0 ? Double.infinity : rankSums[index] / Double(rankCounts[index]) }
        let bestIndex = scored.indices.min { scored[$0] < scored[$1] || (scored[$0] == scored[$1] && $0 < $1) } ?? 0
        return reports[bestIndex]
    }
}
