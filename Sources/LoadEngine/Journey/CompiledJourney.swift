import Foundation
import NIOCore
import Observability

/// A `Journey` made ready to run: every template compiled against the names known at its step, and
/// the request's fixed lines as bytes, so that a request is literals and slot values copied into
/// one buffer. Compiling is where a bad journey is refused (`JourneyError`), before any connection.
struct CompiledJourney {
    struct Step {
        var method: [UInt8]
        var path: JourneyTemplate
        var headers: [(name: [UInt8], value: JourneyTemplate)]
        var body: JourneyTemplate?
        /// True when the request needs `Content-Length: 0` without a body (POST, PUT, PATCH).
        var emptyBodyLength: Bool
        var hasContentType: Bool
        var expect: Set<Int>
        /// Slot and where its value comes from.
        var extract: [(slot: Int, from: Extraction)]
        /// Headers the answer's extractions read (lowercase), in the order of `extract`'s header sources.
        var capturedHeaders: [[UInt8]]
        var readsBody: Bool
        var think: Journey.ThinkTime
        var repeats: Int
        var bodiless: Bool
    }

    let steps: [Step]
    /// The variables' slots as every user starts: the scenario's values, then one empty slot per extracted name.
    let initialSlots: [JourneyValues.Slot]
    /// `Host`, `User-Agent` and the `X-Request-ID` name, written after the request line.
    private let fixedHead: [UInt8]
    private let basePath: [UInt8]
    private let traceContext: Bool
    private let runTag: [UInt8]
    private let tracePrefix: [UInt8]

    /// The most a step's answer body is read for extraction; a longer one fails its extraction.
    static let largestBody = 1 << 20

    init(_ journey: Journey, target: LoadTarget, runTag: String, traceContext: Bool) throws(JourneyError) {
        var names = journey.variables.keys.sorted()
        var slots = names.map { name -> JourneyValues.Slot in
            let values = journey.variables[name]!
            return values.count == 1 ? .fixed(Array(values[0].utf8)) : .oneOf(values.map { Array($0.utf8) })
        }
        // Every extracted name gets a slot up front, so a template can tell "extracted later" from "unknown".
        var extractedBy: [String: Int] = [:]
        guard journey.steps.count <= Journey.mostSteps else {
            throw JourneyError(step: Journey.mostSteps, field: "flow", message: "a journey has at most \(Journey.mostSteps) steps, this one \(journey.steps.count)")
        }
        for (index, step) in journey.steps.enumerated() {
            for (name, _) in step.extract where journey.variables[name] != nil {
                throw JourneyError(step: index, field: "extract.\(name)", message: "'\(name)' is a variable already; name the extracted value otherwise")
            }
            for (name, _) in step.extract where extractedBy[name] == nil {
                extractedBy[name] = index
                names.append(name)
                slots.append(.extracted(nil))
            }
        }
        var compiled: [Step] = []
        for (index, step) in journey.steps.enumerated() {
            guard !step.name.isEmpty else { throw JourneyError(step: index, field: "name", message: "a step needs a name (it is the step's row in the report)") }
            if let earlier = journey.steps[..<index].firstIndex(where: { $0.name == step.name }) {
                throw JourneyError(step: index, field: "name", message: "'\(step.name)' names step \(earlier + 1) already; every step's name is its own")
            }
            guard step.path.hasPrefix("/") else { throw JourneyError(step: index, field: "path", message: "must start with /, got '\(step.path)'") }
            guard (1...1000).contains(step.repeats) else { throw JourneyError(step: index, field: "repeat", message: "is 1 to 1000, got \(step.repeats)") }
            func template(_ text: String, _ field: String) throws(JourneyError) -> JourneyTemplate {
                do {
                    return try JourneyTemplate(text) { name in
                        guard let slot = names.firstIndex(of: name) else { return nil }
                        // Usable when it is a variable, or extracted by an earlier step.
                        if let by = extractedBy[name], by >= index { return nil }
                        return slot
                    }
                } catch {
                    var message = error.message
                    if let unknown = error.unknown {
                        if let by = extractedBy[unknown] {
                            message += by == index
                                ? ": this step extracts it from its own answer, which comes after its request"
                                : ": it is extracted only by a later step (\(by + 1), '\(journey.steps[by].name)')"
                        } else {
                            let known = names.filter { extractedBy[$0].map { $0 < index } ?? true } + Journey.builtIns.keys.sorted()
                            message += "; known here: \(known.joined(separator: ", ")); define it under variables:, or extract it in an earlier step"
                        }
                    }
                    throw JourneyError(step: index, field: field, message: message)
                }
            }
            var headers: [(name: [UInt8], value: JourneyTemplate)] = []
            for header in step.headers {
                guard !header.name.isEmpty, header.name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                    throw JourneyError(step: index, field: "headers", message: "'\(header.name)' is not a header name")
                }
                guard !Journey.engineHeaders.contains(header.name.lowercased()) else {
                    throw JourneyError(step: index, field: "headers.\(header.name)", message: "the engine writes \(header.name) itself; leave it out")
                }
                guard !header.value.contains("\r"), !header.value.contains("\n") else {
                    throw JourneyError(step: index, field: "headers.\(header.name)", message: "a header value is one line")
                }
                headers.append((Array(header.name.utf8), try template(header.value, "headers.\(header.name)")))
            }
            let extract = step.extract.map { (slot: names.firstIndex(of: $0.name)!, from: $0.from) }
            compiled.append(Step(
                method: Array(step.method.utf8), path: try template(step.path, "path"), headers: headers,
                body: try step.body.map { (text) throws(JourneyError) in try template(text, "body") },
                emptyBodyLength: ["POST", "PUT", "PATCH"].contains(step.method),
                hasContentType: step.headers.contains { $0.name.lowercased() == "content-type" }, expect: step.expect, extract: extract,
                capturedHeaders: step.extract.compactMap { if case .header(let name) = $0.from { return Array(name.utf8) } else { return nil } },
                readsBody: step.extract.contains { if case .json = $0.from { return true } else { return false } },
                think: step.think, repeats: step.repeats, bodiless: step.method == "HEAD"))
        }
        guard !compiled.isEmpty else { throw JourneyError(step: 0, field: "flow", message: "a journey needs at least one step") }
        steps = compiled
        initialSlots = slots
        fixedHead = Array("Host: \(target.hostHeader)\r\nUser-Agent: archmesh-load\r\nX-Request-ID: ".utf8)
        basePath = Array(target.basePath.utf8)
        self.traceContext = traceContext
        self.runTag = Array(runTag.utf8)
        tracePrefix = Array("\r\n\(TraceParent.headerName): \(TraceParent.loadPrefix(runTag: runTag))".utf8)
    }

    /// Step `index`'s request as bytes: request `number` of the run, in the trace of the journey
    /// whose first request was `journeyNumber`. `head` and `body` are buffers reused between calls.
    func render(_ index: Int, values: JourneyValues, number: UInt64, journeyNumber: UInt64, into head: inout [UInt8], body: inout [UInt8]) -> ByteBuffer {
        let step = steps[index]
        head.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        head += step.method
        head.append(UInt8(ascii: " "))
        head += basePath
        step.path.render(into: &head, values, inPath: true)
        head += Self.version
        head += fixedHead
        head += runTag
        head.append(UInt8(ascii: "-"))
        Self.hex(number, into: &head)
        if traceContext {
            head += tracePrefix
            Self.hex(journeyNumber, into: &head)
            head.append(UInt8(ascii: "-"))
            Self.hex(TraceParent.spanBits(number), into: &head)
            head += Self.sampled
        }
        head += Self.lineEnd
        for header in step.headers {
            head += header.name
            head += Self.colon
            header.value.render(into: &head, values)
            head += Self.lineEnd
        }
        if let template = step.body {
            template.render(into: &body, values)
            if !step.hasContentType { head += Self.jsonType }
        }
        if step.body != nil || step.emptyBodyLength {
            head += Self.contentLength
            JourneyTemplate.decimal(body.count, into: &head)
            head += Self.lineEnd
        }
        head += Self.lineEnd
        var buffer = ByteBuffer()
        buffer.reserveCapacity(head.count + body.count)
        buffer.writeBytes(head)
        buffer.writeBytes(body)
        return buffer
    }

    private static let version = Array(" HTTP/1.1\r\n".utf8)
    private static let lineEnd = Array("\r\n".utf8)
    private static let colon = Array(": ".utf8)
    private static let sampled = Array("-01".utf8)
    private static let jsonType = Array("Content-Type: application/json\r\n".utf8)
    private static let contentLength = Array("Content-Length: ".utf8)

    private static func hex(_ value: UInt64, into buffer: inout [UInt8]) {
        let start = buffer.count
        buffer += repeatElement(0, count: 16)
        buffer.withUnsafeMutableBytes { RequestID.writeHex(value, into: $0, at: start) }
    }

    /// A step's think time, drawn for this pause.
    static func thinkNanos(_ think: Journey.ThinkTime, using random: inout SplitMix64) -> UInt64 {
        switch think {
        case .none: return 0
        case .fixed(let duration): return duration.nanoseconds
        case .uniform(let low, let high):
            let from = low.nanoseconds, to = high.nanoseconds
            return to > from ? from + random.next() % (to - from + 1) : from
        case .exponential(let mean):
            let draw = -Double(mean.nanoseconds) * log(1 - random.unit())
            return UInt64(min(draw, Double(mean.nanoseconds) * 10))
        }
    }
}
