import LoadEngine

/// `flow:` and `variables:` in the scenario file: a user journey, read with every step's place, and
/// compiled before anything runs so that a bad one is refused with its file, line and the fix.
extension SuiteConfiguration {
    static let stepKeys: Set<String> = ["name", "method", "path", "headers", "body", "expect", "extract", "think", "repeat"]

    static func readJourney(flow: YAMLNode, variables: YAMLNode) throws -> Journey {
        var values: [String: [String]] = [:]
        if variables.isPresent {
            for (name, node) in try variables.mapping() {
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw node.fail("a variable's name is letters, digits, _ or -")
                }
                guard !Journey.builtIns.keys.contains(name) else { throw node.fail("'\(name)' is a built-in; name the variable otherwise") }
                values[name] = node.isScalar ? [try node.string()] : try node.list().map { try $0.string() }
                if values[name]!.isEmpty { throw node.fail("a list variable needs at least one value") }
            }
        }
        let nodes = try flow.list()
        guard !nodes.isEmpty else { throw flow.fail("a journey needs at least one step") }
        let steps = try nodes.map(readStep)
        let journey = Journey(steps: steps, variables: values)
        do {
            try journey.validate()
        } catch {
            let node = nodes[error.step]
            let key = String(error.field.split(separator: ".").first ?? "")
            var place = node[key].isPresent ? node[key] : node
            if error.field.hasPrefix("headers."), place.isPresent { place = place[String(error.field.dropFirst("headers.".count))] }
            throw place.fail(error.message)
        }
        return journey
    }

    private static func readStep(_ node: YAMLNode) throws -> Journey.Step {
        _ = try node.mapping(allowed: stepKeys)
        let method = try node["method"].string().uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) else {
            throw node["method"].fail("'\(method)' is not one of GET, POST, PUT, PATCH, DELETE, HEAD")
        }
        let path = try node["path"].string()
        var step = Journey.Step(
            name: node["name"].isPresent ? try node["name"].string() : "\(method) \(path)", method: method, path: path,
            body: node["body"].isPresent ? try node["body"].string() : nil)
        if node["headers"].isPresent {
            step.headers = try node["headers"].mapping().sorted { $0.key < $1.key }.map { (name: $0.key, value: try $0.value.string()) }
        }
        if node["expect"].isPresent {
            let given = node["expect"].isScalar ? [node["expect"]] : try node["expect"].list()
            step.expect = Set(try given.map { try $0.int(in: 100...599) })
            guard !step.expect.isEmpty else { throw node["expect"].fail("give the statuses the step expects, such as 201 or [200, 204]") }
        }
        if node["extract"].isPresent {
            step.extract = try node["extract"].mapping().sorted { $0.key < $1.key }.map { name, source in
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw source.fail("a variable's name is letters, digits, _ or -")
                }
                switch Extraction.parse(try source.string()) {
                case .success(let extraction): return (name: name, from: extraction)
                case .failure(let error): throw source.fail(error.message)
                }
            }
        }
        if node["think"].isPresent { step.think = try readThink(node["think"]) }
        if node["repeat"].isPresent { step.repeats = try node["repeat"].int(in: 1...1000) }
        return step
    }

    /// `200ms`, `{uniform: [100ms, 300ms]}` or `{exponential: 200ms}` (the mean).
    private static func readThink(_ node: YAMLNode) throws -> Journey.ThinkTime {
        if node.isScalar { return .fixed(try node.duration()) }
        let forms = try node.mapping(allowed: ["uniform", "exponential"])
        guard forms.count == 1 else { throw node.fail("give one of uniform: [low, high] or exponential: mean") }
        if let uniform = forms["uniform"] {
            let bounds = try uniform.list().map { try $0.duration() }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { throw uniform.fail("is [low, high] with low <= high, such as [100ms, 300ms]") }
            return .uniform(bounds[0], bounds[1])
        }
        let mean = try forms["exponential"]!.duration()
        guard mean > .zero else { throw forms["exponential"]!.fail("an exponential think time has a mean above zero") }
        return .exponential(mean: mean)
    }
}
