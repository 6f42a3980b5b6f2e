import Foundation
@testable import LoadEngine
import NIOCore
import Observability
import Testing

/// A journey's pieces without a network: templates compiled and rendered, values extracted from
/// answers, the request's bytes, and every bad journey refused with its step and field.
@Suite("Journeys")
struct JourneyTests {
    func render(_ text: String, slots: [String: JourneyValues.Slot] = [:], user: Int = 3, sequence: Int = 42) throws -> String {
        let names = slots.keys.sorted()
        let template = try JourneyTemplate(text) { names.firstIndex(of: $0) }
        let values = JourneyValues(variables: names.map { slots[$0]! }, user: user, random: SplitMix64(seed: 1))
        values.sequence = sequence
        var bytes: [UInt8] = []
        template.render(into: &bytes, values)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("templates: variables, built-ins, a literal $ and text without slots")
    func templates() throws {
        #expect(try render("/api/v1/projects/${id}/x", slots: ["id": .extracted(Array("abc".utf8))]) == "/api/v1/projects/abc/x")
        #expect(try render("user ${vu} journey ${seq} iteration ${iteration}") == "user 3 journey 42 iteration 0")
        #expect(try render("costs $$5 and $ alone, {braces}") == "costs $5 and $ alone, {braces}")
        #expect(try render("") == "")
        #expect(try JourneyTemplate("/fixed") { _ in nil }.isFixed)
        let uuid = try render("${uuid}")
        #expect(uuid.count == 36 && uuid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12], "\(uuid)")
        #expect(Array(uuid)[14] == "4", "version 4: \(uuid)")
        #expect("89ab".contains(Array(uuid)[19]), "RFC 4122 variant: \(uuid)")
        for _ in 0..<50 {
            let number = try #require(Int(try render("${int(-3, 3)}")))
            #expect((-3...3).contains(number))
            #expect(["a", "b", "c"].contains(try render("${choice(a|b|c)}")))
            #expect(["x", "y"].contains(try render("${list}", slots: ["list": .oneOf([Array("x".utf8), Array("y".utf8)])])))
        }
        let widest = try render("${int(\(Int.min),\(Int.max))}")
        #expect(Int(widest) != nil, "the widest range draws without overflow: \(widest)")
    }

    @Test("a bad template is refused with what to write instead", arguments: [
        ("/x/${id", "never closed"),
        ("${}", "names nothing"),
        ("${int(5,1)}", "int(A,B)"),
        ("${int(a,b)}", "int(A,B)"),
        ("${choice(a||b)}", "choice(a|b|c)"),
        ("${no such}", "not a variable name"),
        ("${missing}", "unknown variable 'missing'"),
    ])
    func badTemplates(text: String, expected: String) {
        do {
            _ = try JourneyTemplate(text) { _ in nil }
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("extraction by JSONPath, JSON Pointer and header; what is not there is nil, never a crash")
    func extraction() throws {
        let body = Array(#"{"id": "p-1", "n": 12, "big": 9007199254740993, "f": 1.5, "ok": true, "none": null, "a/b": 1, "items": [{"id": "i-0"}, {"id": "i-1"}], "obj": {"b": 2, "a": 1}}"#.utf8)
        func value(_ text: String) throws -> String? {
            guard case .success(let extraction) = Extraction.parse(text) else { throw ExtractionSyntaxError("bad: \(text)") }
            return extraction.value(inJSON: body).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(try value("$.id") == "p-1")
        #expect(try value("$['id']") == "p-1")
        #expect(try value("$.n") == "12")
        #expect(try value("$.big") == "9007199254740993", "integers stay exact")
        #expect(try value("$.f") == "1.5")
        #expect(try value("$.ok") == "true")
        #expect(try value("$.items[1].id") == "i-1")
        #expect(try value("/items/0/id") == "i-0")
        #expect(try value("/a~1b") == "1", "RFC 6901: ~1 is /")
        #expect(try value("$.obj") == #"{"b": 2, "a": 1}"#, "an object as its JSON text")
        #expect(try value("$.none") == nil)
        #expect(try value("$.missing") == nil)
        #expect(try value("$.items[5].id") == nil)
        #expect(try value("$.id.deeper") == nil)
        for garbage in ["", "not json", "{\"id\": ", "[1, 2", String(repeating: "[", count: 10_000)] {
            #expect(Extraction.json([.member("id")]).value(inJSON: Array(garbage.utf8)) == nil)
        }
        #expect(Extraction.parse("header:Location") == .success(.header("location")))
    }

    @Test("the scanner reads what JSON allows: escapes, surrogate pairs, braces inside strings, any spacing")
    func scannerEdges() {
        func value(_ path: [Extraction.Key], _ text: String) -> String? {
            JSONScanner.value(at: path, in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(value([.member("a")], #"{"a": "x\"y\\z\/\n\u00e9\ud83d\ude00"}"#) == "x\"y\\z/\né😀")
        #expect(value([.member("b")], #"{"a": "}]{[\"", "b": 2}"#) == "2", "braces inside a skipped string")
        #expect(value([.member("k\"ey")], #"{"k\"ey": true}"#) == "true", "an escaped member name")
        #expect(value([.element(2)], " [ 1 ,\n[2, {\"x\": [3]}] ,\t-4.5e+3 ] ") == "-4.5e+3")
        #expect(value([.element(1), .element(1), .member("x")], "[1, [2, {\"x\": [3]}]]") == "[3]")
        #expect(value([.member("a")], #"{"a": null}"#) == nil)
        #expect(value([.member("a")], #"{"a": "\ud800"}"#) == nil, "a lone surrogate is not text")
        #expect(value([.member("a")], #"{"a": "\q"}"#) == nil, "an unknown escape")
        #expect(value([.member("a")], "{\"a\": \"tab\there\"}") == nil, "a raw control character")
        #expect(value([.member("a")], #"{"a": "unterminated"#) == nil)
        #expect(value([.element(0)], String(repeating: "[", count: 100_000)) == nil, "deep nesting, no recursion")
        #expect(value([.member("z")], #"{"a": {"b": [1, 2, {"c": "}"}]}, "z": "found"}"#) == "found")
    }

    @Test("the scanner agrees with Foundation's JSON reader on 300 generated documents")
    func scannerAgreesWithFoundation() throws {
        var random = SplitMix64(seed: 2026)
        let alphabet = Array("ab\"\\/é😀\n\t{}[],: ")
        func generate(_ depth: Int) -> Any {
            switch depth > 3 ? random.below(4) : random.below(6) {
            case 0: return random.below(2) == 0
            case 1: return Int(truncatingIfNeeded: random.next() >> UInt64(random.below(64)))
            case 2: return String((0..<random.below(12)).map { _ in alphabet[random.below(alphabet.count)] })
            case 3: return Double(random.below(100_000)) / 8
            case 4: return (0..<random.below(5)).map { _ in generate(depth + 1) }
            default: return Dictionary((0..<random.below(5)).map { ("k\($0)" + (random.below(3) == 0 ? "\"" : ""), generate(depth + 1)) }, uniquingKeysWith: { a, _ in a })
            }
        }
        var compared = 0
        for _ in 0..<300 {
            let document = ["root": generate(0)]
            let data = try JSONSerialization.data(withJSONObject: document, options: random.below(2) == 0 ? [.prettyPrinted] : [])
            // Walk a random path down the generated value and compare what each reader finds there.
            var keys: [Extraction.Key] = [.member("root")]
            var node: Any = document["root"]!
            while true {
                if let object = node as? [String: Any], !object.isEmpty, random.below(3) > 0 {
                    let key = object.keys.sorted()[random.below(object.count)]
                    keys.append(.member(key))
                    node = object[key]!
                } else if let array = node as? [Any], !array.isEmpty, random.below(3) > 0 {
                    let index = random.below(array.count)
                    keys.append(.element(index))
                    node = array[index]
                } else {
                    break
                }
            }
            let found = try #require(JSONScanner.value(at: keys, in: Array(data)), "\(keys) in \(String(decoding: data, as: UTF8.self))")
            if let text = node as? String {
                #expect(String(decoding: found, as: UTF8.self) == text)
            } else {
                let reread = try JSONSerialization.jsonObject(with: Data(found), options: [.fragmentsAllowed])
                #expect(try JSONSerialization.data(withJSONObject: [reread], options: [.sortedKeys]) == JSONSerialization.data(withJSONObject: [node], options: [.sortedKeys]))
            }
            compared += 1
        }
        #expect(compared == 300)
    }

    @Test("an extraction that names nothing is refused", arguments: ["$", "$.", "$[x]", "$[-1]", "$..id", "/", "header:", "id", "$['id"])
    func badExtractions(text: String) {
        guard case .failure(let error) = Extraction.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.message.contains("'\(text)'"), "\(error.message)")
    }

    static let journey = Journey(
        steps: [
            .init(name: "create", method: "POST", path: "/p", body: #"{"name": "n${seq}"}"#, expect: [201], extract: [(name: "id", from: .json([.member("id")]))]),
            .init(name: "read", method: "GET", path: "/p/${id}?via=${via}", headers: [(name: "X-Via", value: "${via}")], expect: [200], repeats: 2),
        ],
        variables: ["via": ["test"]])

    @Test("a step's request is exactly the bytes of HTTP/1.1, its ID and its journey's trace in place")
    func requestBytes() throws {
        let compiled = try CompiledJourney(Self.journey, target: LoadTarget(host: "127.0.0.1", port: 8080, basePath: "/base"), runTag: "abcd1234", traceContext: true)
        let progress = JourneyProgress(user: 2, users: 4, slots: compiled.initialSlots, seed: 9)
        progress.values.variables[compiled.steps[0].extract[0].slot] = .extracted(Array("p-7".utf8))
        var head: [UInt8] = [], body: [UInt8] = []
        let create = compiled.render(0, values: progress.values, number: 5, journeyNumber: 5, into: &head, body: &body)
        let read = compiled.render(1, values: progress.values, number: 6, journeyNumber: 5, into: &head, body: &body)
        let trace = TraceParent.loadPrefix(runTag: "abcd1234") + RequestID.hex(5)
        #expect(String(buffer: create) == "POST /base/p HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: archmesh-load\r\nX-Request-ID: abcd1234-\(RequestID.hex(5))\r\n"
            + "traceparent: \(trace)-\(TraceParent.loadSpanID(number: 5))-01\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"name\": \"n2\"}")
        #expect(String(buffer: read) == "GET /base/p/p-7?via=test HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: archmesh-load\r\nX-Request-ID: abcd1234-\(RequestID.hex(6))\r\n"
            + "traceparent: \(trace)-\(TraceParent.loadSpanID(number: 6))-01\r\nX-Via: test\r\n\r\n", "one trace for the journey, a span per request")
    }

    @Test("a journey's progress: expectations, extractions, repeats, and a failure that restarts it")
    func progress() throws {
        let compiled = try CompiledJourney(Self.journey, target: LoadTarget(host: "127.0.0.1", port: 1), runTag: "abcd1234", traceContext: false)
        let progress = JourneyProgress(user: 1, users: 3, slots: compiled.initialSlots, seed: 1)
        var recorder = JourneyRecorder(steps: 2)
        var created = ParsedResponse(status: 201, serverTiming: nil, keepAlive: true, bodyBytes: 12)
        created.body = Array(#"{"id": "p-9"}"#.utf8)
        progress.sending(due: 1_000, number: 77)
        #expect(progress.judge(compiled.steps[0], status: 201, error: nil, response: created) == nil)
        #expect(progress.values.variables[compiled.steps[0].extract[0].slot] == .extracted(Array("p-9".utf8)))
        progress.advance(compiled, failed: false, now: 2_000, into: &recorder)
        #expect(progress.step == 1)
        #expect(progress.judge(compiled.steps[1], status: 404, error: .http4xx, response: nil) == .unexpectedStatus)
        #expect(progress.judge(compiled.steps[1], status: 503, error: .http5xx, response: nil) == .http5xx, "a 5xx stays a server failure")
        #expect(progress.judge(compiled.steps[1], status: 0, error: .timeout, response: nil) == .timeout)
        #expect(progress.judge(compiled.steps[1], status: 200, error: nil, response: nil) == nil)
        progress.advance(compiled, failed: false, now: 3_000, into: &recorder)
        #expect(progress.step == 1, "read repeats twice")
        progress.advance(compiled, failed: false, now: 5_000_000, into: &recorder)
        #expect(progress.step == 0 && recorder.completed == 1 && recorder.durations.max >= 4_990)
        #expect(progress.values.sequence == 1 * 3 + 1, "seq: unique per journey in the run")
        // The next journey's creation is answered without the value it extracts: an extraction error ends it.
        progress.sending(due: 6_000_000, number: 80)
        var empty = ParsedResponse(status: 201, serverTiming: nil, keepAlive: true, bodyBytes: 2)
        empty.body = Array("{}".utf8)
        #expect(progress.judge(compiled.steps[0], status: 201, error: nil, response: empty) == .extraction)
        #expect(progress.number == 80)
        progress.advance(compiled, failed: true, now: 7_000_000, into: &recorder)
        #expect(progress.step == 0 && recorder.failedAtStep == [1, 0] && recorder.completed == 1)
        // An answer cannot write header lines into the next request: a value with CR or LF is not taken.
        var injecting = ParsedResponse(status: 201, serverTiming: nil, keepAlive: true, bodyBytes: 40)
        injecting.body = Array(#"{"id": "x\r\nX-Evil: 1"}"#.utf8)
        #expect(progress.judge(compiled.steps[0], status: 201, error: nil, response: injecting) == .extraction)
        #expect(progress.values.variables[compiled.steps[0].extract[0].slot] == .extracted(Array("p-9".utf8)), "the earlier value stays")
    }

    @Test("a value in a path is percent-encoded where a request target cannot hold it; elsewhere it goes as it is")
    func pathValues() throws {
        let journey = Journey(
            steps: [.init(name: "find", method: "GET", path: "/p?q=${q}&n=${n}", headers: [(name: "X-Q", value: "${q}")], body: "${q}")],
            variables: ["q": ["a b/\"é\"?x=1"], "n": ["7"]])
        let compiled = try CompiledJourney(journey, target: LoadTarget(host: "127.0.0.1", port: 1), runTag: "abcd1234", traceContext: false)
        let progress = JourneyProgress(user: 0, users: 1, slots: compiled.initialSlots, seed: 1)
        var head: [UInt8] = [], body: [UInt8] = []
        let request = String(buffer: compiled.render(0, values: progress.values, number: 1, journeyNumber: 1, into: &head, body: &body))
        #expect(request.hasPrefix("GET /p?q=a%20b/%22%C3%A9%22?x=1&n=7 HTTP/1.1\r\n"), "\(request)")
        #expect(request.contains("X-Q: a b/\"é\"?x=1\r\n"))
        #expect(request.hasSuffix("\r\n\r\na b/\"é\"?x=1"))
    }

    @Test("bad journeys are refused before anything runs, with the step and field", arguments: [
        (Journey(steps: [.init(name: "a", method: "GET", path: "/${later}"), .init(name: "b", method: "GET", path: "/", extract: [(name: "later", from: .header("x"))])]),
         "step 1, path", "later step (2, 'b')"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "/${own}", extract: [(name: "own", from: .header("x"))])]), "step 1, path", "its own answer"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "/${typo}")], variables: ["type": ["x"]]), "step 1, path", "known here: type, choice(a|b|c), int(A,B), iteration, seq, uuid, vu"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "/"), .init(name: "a", method: "GET", path: "/")]), "step 2, name", "names step 1"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "x")]), "step 1, path", "must start with /"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "/", headers: [(name: "X-A", value: "${")])]), "step 1, headers.X-A", "never closed"),
        (Journey(steps: [.init(name: "a", method: "POST", path: "/", body: "${int(9,1)}")]), "step 1, body", "int(A,B)"),
        (Journey(steps: []), "step 1, flow", "at least one step"),
        (Journey(steps: [.init(name: "a", method: "GET", path: "/", extract: [(name: "id", from: .header("x"))])], variables: ["id": ["1"]]),
         "step 1, extract.id", "a variable already"),
        (Journey(steps: [.init(name: "a", method: "POST", path: "/", headers: [(name: "Content-Length", value: "5")], body: "x")]),
         "step 1, headers.Content-Length", "the engine writes Content-Length itself"),
        (Journey(steps: (0...Journey.mostSteps).map { .init(name: "s\($0)", method: "GET", path: "/") }), "step 1001, flow", "at most 1000 steps"),
    ])
    func refused(journey: Journey, place: String, expected: String) {
        do {
            try journey.validate()
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix(place), "\(error)")
            #expect(error.description.contains(expected), "\(error)")
        }
    }
}
