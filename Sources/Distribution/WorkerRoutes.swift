import Foundation
import Hummingbird
import NIOCore

/// The coordinator's HTTP side: what workers may ask, each answered from the ledger.
enum WorkerRoutes {
    /// Largest body accepted: a recording holds a few hundred histograms' buckets.
    static let maximumBody = 64 * 1024 * 1024

    static func router(_ ledger: Ledger) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/register") { request, _ in
            let registration = try await decode(WorkerMessages.Registration.self, from: request)
            if let refusal = ledger.register(registration) { return try json(WorkerMessages.Refusal(reason: refusal), status: .conflict) }
            return Response(status: .noContent)
        }
        router.get("/assignment") { request, _ in
            guard let text = request.uri.queryParameters["worker"], let worker = Int(String(text)) else {
                return try json(WorkerMessages.Refusal(reason: "say which worker: /assignment?worker=N"), status: .badRequest)
            }
            return try json(ledger.assignment(for: worker))
        }
        router.post("/ready") { request, _ in
            switch ledger.ready(try await decode(WorkerMessages.Ready.self, from: request)) {
            case .wait: return try json(WorkerMessages.Start(coordinatorNowUnixNanoseconds: WorkerMessages.unixNanoseconds()), status: .accepted)
            case .start(let instant):
                return try json(WorkerMessages.Start(coordinatorNowUnixNanoseconds: WorkerMessages.unixNanoseconds(), startAtUnixNanoseconds: instant))
            case .off: return try json(WorkerMessages.Refusal(reason: "the run is off"), status: .gone)
            }
        }
        router.post("/windows") { request, _ in
            let report = try await decode(WorkerMessages.Windows.self, from: request)
            return try json(WorkerMessages.WindowsAnswer(stop: ledger.windows(report)))
        }
        router.post("/result") { request, _ in
            ledger.result(try await decode(WorkerMessages.Result.self, from: request))
            return Response(status: .noContent)
        }
        router.post("/failed") { request, _ in
            ledger.failure(try await decode(WorkerMessages.Failure.self, from: request))
            return Response(status: .noContent)
        }
        return router
    }

    private static func decode<Message: Decodable>(_ type: Message.Type, from request: Request) async throws -> Message {
        let body = try await request.body.collect(upTo: maximumBody)
        do {
            return try WorkerMessages.decoder.decode(type, from: Data(body.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "not a \(type): \(error)")
        }
    }

    private static func json<Message: Encodable>(_ message: Message, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try WorkerMessages.encoder.encode(message))))
    }
}
