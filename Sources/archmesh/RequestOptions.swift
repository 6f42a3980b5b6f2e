import ArgumentParser
import Foundation
import LoadEngine

/// What an ad-hoc run sends to its URL: the flags curl, hey and oha users know.
struct RequestOptions: ParsableArguments {
    @Option(name: [.customShort("X"), .long], help: "HTTP method.")
    var method: String = "GET"

    @Option(name: [.customShort("H"), .long], help: "A request header, 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(name: [.customShort("B"), .long], help: "Request body.")
    var body: String?

    func validate() throws {
        for line in header {
            guard let colon = line.firstIndex(of: ":"), !line[..<colon].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--header '\(line)' is not of the form 'Name: value'")
            }
        }
    }

    /// True when any of these flags was given.
    var isSet: Bool { method != "GET" || !header.isEmpty || body != nil }

    /// The one endpoint these flags describe, for `path` of the URL.
    func endpoint(path: String) -> Endpoint {
        let headers = header.map { line -> Endpoint.Header in
            // Validated: a colon after a name; the value may be empty.
            let colon = line.firstIndex(of: ":")!
            return Endpoint.Header(
                name: line[..<colon].trimmingCharacters(in: .whitespaces), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Endpoint(method: method, paths: [path], headers: headers, body: body.map { Array($0.utf8) })
    }
}

/// HTTP/2 for the load: `--http2` and `--streams`.
struct HTTP2Options: ParsableArguments {
    @Flag(help: "HTTP/2: h2 by ALPN over https://, h2c by prior knowledge over http://; users share connections of --streams each.")
    var http2 = false

    @Option(help: "With --http2: requests in flight per connection (streams), so connections = ceil(users / streams).")
    var streams: Int = 1

    func validate() throws {
        guard (1...1_000).contains(streams) else { throw ValidationError("--streams must be 1 to 1000, got \(streams)") }
        if streams > 1 && !http2 { throw ValidationError("--streams needs --http2 (HTTP/1.1 carries one request at a time)") }
    }

    /// The plan's `http2Streams`: nil for HTTP/1.1.
    var streamsPerConnection: Int? { http2 ? streams : nil }
}

/// `--no-trace-context`, shared by `run`, `load` and `capacity`.
struct TraceContextOption: ParsableArguments {
    @Flag(help: "Do not send a W3C traceparent with each request (sent by default: each request a trace of its own, its ID in the report's slowest requests).")
    var noTraceContext = false
}
