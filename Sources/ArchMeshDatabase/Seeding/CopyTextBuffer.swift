import NIOCore

/// Builds rows in PostgreSQL's COPY text format (tab-separated, `\N` for null) straight into a ByteBuffer.
struct CopyTextBuffer {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func field(_ bytes: [UInt8]) {
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(ascii: "\t"))
    }

    /// A text field, escaping the characters COPY's text format reserves.
    mutating func field(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\t"))
    }

    mutating func nullField() {
        buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "N"), UInt8(ascii: "\t")])
    }

    mutating func uuidField(_ uuid: (UInt64, UInt64)) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var digits = [UInt8](repeating: 0, count: 32)
        for index in 0..<16 {
            digits[15 - index] = hex[Int((uuid.0 >> (UInt64(index) * 4)) & 0xF)]
            digits[31 - index] = hex[Int((uuid.1 >> (UInt64(index) * 4)) & 0xF)]
        }
        buffer.writeBytes(digits[0..<8]); buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeBytes(digits[8..<12]); buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeBytes(digits[12..<16]); buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeBytes(digits[16..<20]); buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeBytes(digits[20..<32])
        buffer.writeInteger(UInt8(ascii: "\t"))
    }

    /// `seconds` since the Unix epoch as `YYYY-MM-DD HH:MM:SS+00`.
    mutating func timestampField(_ seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: days)
        writeDigits(year, width: 4); buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(month, width: 2); buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(day, width: 2); buffer.writeInteger(UInt8(ascii: " "))
        writeDigits(secondOfDay / 3600, width: 2); buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(secondOfDay / 60 % 60, width: 2); buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(secondOfDay % 60, width: 2)
        buffer.writeBytes([UInt8(ascii: "+"), UInt8(ascii: "0"), UInt8(ascii: "0"), UInt8(ascii: "\t")])
    }

    /// Replaces the last field's tab with the row's newline.
    mutating func endRow() {
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private mutating func writeDigits(_ value: Int64, width: Int) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var remaining = value
        for index in stride(from: width - 1, through: 0, by: -1) {
            digits[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
        buffer.writeBytes(digits)
    }
}
