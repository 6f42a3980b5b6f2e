/// A user journey: the steps one virtual user repeats, each a request whose method, path, headers
/// and body may use values from earlier answers (`extract`), the scenario's variables and built-ins
/// (`JourneyTemplate`), checked against the statuses it expects, with think time after it.
///
/// A run with a journey records each step as an endpoint (the step's name in the breakdown) and
/// each journey's whole duration (`JourneySummary`). A step that fails (no answer, a status it did
/// not expect, a value it could not extract) ends that journey; the user starts the next one.
public struct Journey: Sendable, Equatable {
    public var steps: [Step]
    /// Values every template may use by name; a list gives one of its values, chosen at random,
    /// each time it is used.
    public var variables: [String: [String]]

    public init(steps: [Step], variables: [String: [String]] = [:]) {
        self.steps = steps
        self.variables = variables
    }

    public struct Step: Sendable, Equatable {
        public var name: String
        public var method: String
        public var path: String
        public var headers: [(name: String, value: String)]
        public var body: String?
        /// Statuses that count as this step's success; empty: any 1xx-3xx.
        public var expect: Set<Int>
        /// Values taken from the answer, by variable name, for the steps after it.
        public var extract: [(name: String, from: Extraction)]
        public var think: ThinkTime
        /// How many times the step is sent in a row (with its think time between).
        public var repeats: Int

        public init(
            name: String, method: String, path: String, headers: [(name: String, value: String)] = [], body: String? = nil, expect: Set<Int> = [],
            extract: [(name: String, from: Extraction)] = [], think: ThinkTime = .none, repeats: Int = 1
        ) {
            self.name = name
            self.method = method.uppercased()
            self.path = path
            self.headers = headers
            self.body = body
            self.expect = expect
            self.extract = extract
            self.think = think
            self.repeats = repeats
        }

        public static func == (lhs: Step, rhs: Step) -> Bool {
            lhs.name == rhs.name && lhs.method == rhs.method && lhs.path == rhs.path && lhs.body == rhs.body && lhs.expect == rhs.expect
                && lhs.think == rhs.think && lhs.repeats == rhs.repeats
                && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
                && lhs.extract.map(\.name) == rhs.extract.map(\.name) && lhs.extract.map(\.from) == rhs.extract.map(\.from)
        }
    }

    /// The pause after a step's answer, before the user's next request.
    public enum ThinkTime: Sendable, Equatable {
        case none
        case fixed(Duration)
        /// Uniformly between the two.
        case uniform(Duration, Duration)
        /// Exponentially distributed with this mean (arrivals of a Poisson process), at most ten times it.
        case exponential(mean: Duration)
    }

    /// The endpoints a run of this journey records under: one per step, named as the step.
    public var endpoints: [Endpoint] {
        steps.map { Endpoint(name: $0.name, method: $0.method, paths: [$0.path]) }
    }

    /// The most steps a journey has (a recording of more is not believed).
    public static let mostSteps = 1000

    /// Headers the engine writes on every request, which a step may not give.
    static let engineHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "x-request-id", "traceparent", "user-agent"]

    /// Names a template may use besides variables and extractions.
    public static let builtIns: [String: String] = [
        "vu": "the virtual user's index", "seq": "a number unique to this journey in the run", "iteration": "the user's journey count, from 0",
        "uuid": "a random UUID", "int(A,B)": "a random integer from A to B", "choice(a|b|c)": "one of the listed values, at random",
    ]
}

/// What went wrong with a journey, found before anything runs.
public struct JourneyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The step (index) and the field (`path`, `body`, `headers.X`, `extract.NAME`) at fault.
    public var step: Int
    public var field: String
    public var message: String

    public var description: String { "step \(step + 1), \(field): \(message)" }
}

extension Journey {
    /// Compiles the journey as a run would, against no target: what a run would refuse, refused now.
    public func validate() throws(JourneyError) {
        _ = try CompiledJourney(self, target: LoadTarget(host: "127.0.0.1", port: 1), runTag: "validate", traceContext: true)
    }
}
