import Observability

/// A template of a journey's request (`/api/v1/projects/${project_id}`), compiled once: literal
/// bytes and slots. Rendering writes the literals and each slot's value into the request's buffer,
/// with no parsing per request.
///
/// `${name}` is a variable (the scenario's, or one an earlier step extracted); built-ins are `${vu}`,
/// `${seq}`, `${iteration}`, `${uuid}`, `${int(A,B)}` and `${choice(a|b|c)}`. `$$` is a literal `$`.
struct JourneyTemplate: Equatable {
    enum Part: Equatable {
        case literal([UInt8])
        /// A value by its slot in the user's variables.
        case variable(Int)
        case user, sequence, iteration, uuid
        case integer(ClosedRange<Int>)
        case choice([[UInt8]])
    }

    let parts: [Part]
    /// True when it is one literal: rendered as the bytes themselves.
    var isFixed: Bool { parts.allSatisfy { if case .literal = $0 { return true } else { return false } } }

    /// Compiles `text`; `slot(name)` gives a known variable's slot, nil for an unknown name.
    init(_ text: String, slot: (String) -> Int?) throws(TemplateError) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$"), index + 1 < bytes.count else {
                literal.append(byte)
                index += 1
                continue
            }
            if bytes[index + 1] == UInt8(ascii: "$") {
                literal.append(byte)
                index += 2
                continue
            }
            guard bytes[index + 1] == UInt8(ascii: "{") else {
                literal.append(byte)
                index += 1
                continue
            }
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                throw TemplateError("'${' at character \(index + 1) is never closed with '}'; write $$ for a literal $")
            }
            let name = String(decoding: bytes[(index + 2)..<close], as: UTF8.self).trimmingSpaces
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = []
            parts.append(try Self.part(name, slot: slot))
            index = close + 1
        }
        if !literal.isEmpty || parts.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    private static func part(_ name: String, slot: (String) -> Int?) throws(TemplateError) -> Part {
        switch name {
        case "": throw TemplateError("'${}' names nothing; write ${name} with a variable or a built-in")
        case "vu": return .user
        case "seq": return .sequence
        case "iteration": return .iteration
        case "uuid": return .uuid
        default: break
        }
        if name.hasPrefix("int("), name.hasSuffix(")") {
            let bounds = name.dropFirst(4).dropLast().split(separator: ",").map { Int(String($0).trimmingSpaces) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low <= high else {
                throw TemplateError("'${\(name)}' is not int(A,B) with whole numbers A <= B, such as ${int(1,100)}")
            }
            return .integer(low...high)
        }
        if name.hasPrefix("choice("), name.hasSuffix(")") {
            let values = name.dropFirst(7).dropLast().split(separator: "|", omittingEmptySubsequences: false).map { Array(String($0).trimmingSpaces.utf8) }
            guard values.count >= 1, !values.contains(where: \.isEmpty) else {
                throw TemplateError("'${\(name)}' is not choice(a|b|c) with values between the bars")
            }
            return .choice(values)
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw TemplateError("'${\(name)}' is not a variable name (letters, digits, _ or -) nor a built-in (vu, seq, iteration, uuid, int(A,B), choice(a|b))")
        }
        guard let slot = slot(name) else { throw TemplateError("unknown variable '\(name)'", unknown: name) }
        return .variable(slot)
    }

    /// Writes the template with `values` into `buffer`; `inPath`: a value's bytes that a request
    /// target cannot hold (space, controls, quotes, non-ASCII ...) are percent-encoded.
    func render(into buffer: inout [UInt8], _ values: JourneyValues, inPath: Bool = false) {
        for part in parts {
            switch part {
            case .literal(let bytes): buffer += bytes
            case .variable(let slot):
                let value = values.variables[slot].value(using: &values.random)
                if inPath { Self.percentEncoded(value, into: &buffer) } else { buffer += value }
            case .user: Self.decimal(values.user, into: &buffer)
            case .sequence: Self.decimal(values.sequence, into: &buffer)
            case .iteration: Self.decimal(values.iteration, into: &buffer)
            case .uuid: Self.uuid(into: &buffer, using: &values.random)
            case .integer(let range):
                let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
                let offset = span == 0 ? values.random.next() : values.random.next() % span
                Self.decimal(range.lowerBound &+ Int(truncatingIfNeeded: offset), into: &buffer)
            case .choice(let choices): buffer += choices[values.random.below(choices.count)]
            }
        }
    }

    /// Bytes a request target may carry as they are (RFC 3986's unreserved, sub-delims, `:@/?%`).
    private static let targetSafe: [Bool] = (0..<256).map { byte in
        let character = UInt8(byte)
        if (0x30...0x39).contains(character) || (0x41...0x5A).contains(character) || (0x61...0x7A).contains(character) { return true }
        return Array("-._~!$&'()*+,;=:@/?%".utf8).contains(character)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func percentEncoded(_ value: [UInt8], into buffer: inout [UInt8]) {
        for byte in value {
            if targetSafe[Int(byte)] {
                buffer.append(byte)
            } else {
                buffer.append(UInt8(ascii: "%"))
                buffer.append(hexDigits[Int(byte >> 4)])
                buffer.append(hexDigits[Int(byte & 0xF)])
            }
        }
    }

    static func decimal(_ value: Int, into buffer: inout [UInt8]) {
        buffer += Array(String(value).utf8)
    }

    /// A version 4 UUID, lowercase.
    static func uuid(into buffer: inout [UInt8], using random: inout SplitMix64) {
        let high = (random.next() & ~0xF000) | 0x4000, low = (random.next() & ~(0xC << 60)) | (0x8 << 60)
        let hex = Array("0123456789abcdef".utf8)
        for (index, shift) in stride(from: 124, through: 0, by: -4).enumerated() {
            if [8, 12, 16, 20].contains(index) { buffer.append(UInt8(ascii: "-")) }
            let word = shift >= 64 ? high >> UInt64(shift - 64) : low >> UInt64(shift)
            buffer.append(hex[Int(word & 0xF)])
        }
    }
}

/// A template that cannot be compiled: what is wrong, and the unknown name when that is it.
struct TemplateError: Error, Equatable {
    var message: String
    var unknown: String?

    init(_ message: String, unknown: String? = nil) {
        self.message = message
        self.unknown = unknown
    }
}

/// What a user's templates draw on while it renders a request.
final class JourneyValues {
    var variables: [Slot]
    var user: Int
    var sequence = 0
    var iteration = 0
    var random: SplitMix64

    init(variables: [Slot], user: Int, random: SplitMix64) {
        self.variables = variables
        self.user = user
        self.random = random
    }

    /// A variable's value: fixed, one of a list, or what an earlier step extracted (empty until then).
    enum Slot: Equatable {
        case fixed([UInt8])
        case oneOf([[UInt8]])
        case extracted([UInt8]?)

        func value(using random: inout SplitMix64) -> [UInt8] {
            switch self {
            case .fixed(let value): return value
            case .oneOf(let values): return values[random.below(values.count)]
            case .extracted(let value): return value ?? []
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
