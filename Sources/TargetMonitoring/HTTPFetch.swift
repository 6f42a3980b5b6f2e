import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP request and its whole response, for the harness's side calls (scraping `/metrics`,
/// setting faults, waiting for health): not the load path, so AsyncHTTPClient as it comes.
public enum HTTPFetch {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Largest body read back; side calls fetch small documents.
    static let maximumBodyBytes = 32 * 1024 * 1024

    /// Sends `method url` and returns the response; fails after `timeout`. `tls` for an https://
    /// URL whose certificate needs other than the system's trust (a private CA, a client certificate).
    public static func send(
        _ method: String = "GET", _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration = .seconds(5),
        tls: TLSConfiguration? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.tlsConfiguration = tls
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)))
        let collected = try await response.body.collect(upTo: maximumBodyBytes)
        return Response(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(collected.readableBytesView))
    }
}
