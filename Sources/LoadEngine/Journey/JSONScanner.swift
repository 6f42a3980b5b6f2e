/// Finds one value in a JSON text by its path, reading the bytes in place: members are compared
/// as they are met and everything else is skipped without being decoded, so a step's extraction
/// costs a scan of the answer, not a decoding of it. Nothing is recursive (a deeply nested answer
/// cannot exhaust the stack), and bytes that are not JSON give nil, never a trap.
struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The value at `keys` in `body`: a string's text unescaped, a number or boolean as written,
    /// an object or array as its JSON text; nil for null, a missing member, or bytes that are not JSON.
    static func value(at keys: [Extraction.Key], in body: [UInt8]) -> [UInt8]? {
        body.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            for key in keys {
                guard scanner.enter(key) else { return nil }
            }
            return scanner.currentValue()
        }
    }

    // MARK: Navigation

    /// Moves to the value `key` names inside the current value.
    private mutating func enter(_ key: Extraction.Key) -> Bool {
        skipSpace()
        guard position < bytes.count else { return false }
        switch (bytes[position], key) {
        case (UInt8(ascii: "{"), .member(let name)):
            return enterMember(Array(name.utf8))
        case (UInt8(ascii: "["), .element(let index)):
            return enterElement(index)
        case (UInt8(ascii: "["), .member(let name)):
            // A JSON Pointer's token is an index when it names an array's element.
            guard let index = Int(name), index >= 0, String(index) == name else { return false }
            return enterElement(index)
        default:
            return false
        }
    }

    private mutating func enterMember(_ name: [UInt8]) -> Bool {
        position += 1
        while true {
            skipSpace()
            guard position < bytes.count else { return false }
            if bytes[position] == UInt8(ascii: "}") { return false }
            guard bytes[position] == UInt8(ascii: "\""), let key = readString() else { return false }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
            position += 1
            skipSpace()
            if key == name { return true }
            guard skipValue() else { return false }
            skipSpace()
            guard position < bytes.count else { return false }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            return false  // `}`: not found, or not JSON
        }
    }

    private mutating func enterElement(_ index: Int) -> Bool {
        position += 1
        var current = 0
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] != UInt8(ascii: "]") else { return false }
            if current == index { return true }
            guard skipValue() else { return false }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return false }
            position += 1
            current += 1
        }
    }

    /// The value at the position, as `value(at:in:)` gives it.
    private mutating func currentValue() -> [UInt8]? {
        skipSpace()
        guard position < bytes.count else { return nil }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return readString()
        case UInt8(ascii: "n"):
            return nil
        default:
            guard skipValue() else { return nil }
            return Array(bytes[start..<position])
        }
    }

    // MARK: Bytes

    private mutating func skipSpace() {
        while position < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[position]) {
            position += 1
        }
    }

    /// Skips one value of any kind (nested ones counted, not recursed into); false when it is not JSON.
    private mutating func skipValue() -> Bool {
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    guard skipString() else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        position += 1
                        return true
                    }
                default:
                    break
                }
                position += 1
            }
            return false
        default:
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                let isScalarByte = (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "E")
                guard isScalarByte else { break }
                position += 1
            }
            return position > start
        }
    }

    private mutating func skipString() -> Bool {
        position += 1
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""):
                position += 1
                return true
            default: position += 1
            }
        }
        return false
    }

    /// A string at the position, unescaped (`\uXXXX` with surrogate pairs as UTF-8); nil when it is not one.
    private mutating func readString() -> [UInt8]? {
        position += 1
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return text
            case UInt8(ascii: "\\"):
                guard position + 1 < bytes.count else { return nil }
                let escaped = bytes[position + 1]
                position += 2
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(8)
                case UInt8(ascii: "f"): text.append(12)
                case UInt8(ascii: "n"): text.append(10)
                case UInt8(ascii: "r"): text.append(13)
                case UInt8(ascii: "t"): text.append(9)
                case UInt8(ascii: "u"):
                    guard var scalar = readHex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
                        position += 2
                        guard let low = readHex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    text += Array(String(Character(unicode)).utf8)
                default:
                    return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                text.append(byte)
                position += 1
            }
        }
        return nil
    }

    private mutating func readHex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
