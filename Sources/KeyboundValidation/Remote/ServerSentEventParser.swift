/// One event of a Server-Sent Events stream, as dispatched by ``ServerSentEventParser``.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `message` when the event had none.
    public var type: String
    /// The `data:` lines joined with LF (no trailing LF).
    public var data: String
    /// The stream's last event id when the event was dispatched (`""` if none was ever set).
    public var lastEventID: String

    /// An event.
    public init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}

/// Why a Server-Sent Events stream was abandoned.
public struct ServerSentEventError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line.
    public let description: String
    /// An error.
    public init(_ description: String) { self.description = description }
}

/// An incremental parser for `text/event-stream` as the WHATWG HTML standard (§9.2.6,
/// "Interpreting an event stream") defines it: lines end with CRLF, LF or CR (also when a CRLF is
/// split across two chunks); a line starting with `:` is a comment; `field: value` loses one
/// space after the colon; the fields are `event`, `data` (repeated lines are joined with LF),
/// `id` (ignored if it contains U+0000) and `retry` (ASCII digits only); others are ignored. An
/// empty line dispatches the event, but only if it has data; the last event id is updated even
/// when it has none. A leading byte-order mark is skipped, invalid UTF-8 becomes U+FFFD, and an
/// incomplete event at the end of the stream is never dispatched.
///
/// Bounded: the bytes of one event (its pending line, data, type and id) may not exceed
/// `maximumEventBytes`; beyond that ``feed(_:)`` throws and the stream must be dropped.
public struct ServerSentEventParser: Sendable {
    /// The largest event accepted, in bytes.
    public let maximumEventBytes: Int
    /// The last event id (persists across events, and across reconnections when passed to `init`).
    public private(set) var lastEventID: String
    /// The reconnection time the stream asked for with `retry:`, in milliseconds, if any.
    public private(set) var reconnectionTime: Int?
    /// The comments (`: text` lines, without the colon and one leading space) of the bytes given
    /// to the last ``feed(_:)``, in order.
    public private(set) var comments: [String] = []

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var eventType: [UInt8] = []
    private var pendingID: String
    private var pendingIDBytes = 0
    private var afterCR = false
    private var atStart = true
    private var bomCandidate: [UInt8] = []

    /// A parser. `lastEventID` carries the id of a previous connection over to this one.
    public init(maximumEventBytes: Int = 64 * 1024, lastEventID: String = "") {
        self.maximumEventBytes = maximumEventBytes
        self.lastEventID = lastEventID
        self.pendingID = lastEventID
    }

    /// Consumes the next chunk of the stream and returns the events it completed, in order.
    /// Throws ``ServerSentEventError`` when an event grows beyond ``maximumEventBytes``.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ServerSentEventError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        comments.removeAll(keepingCapacity: true)
        for byte in bytes {
            if atStart {
                // U+FEFF as UTF-8 (EF BB BF) is skipped once, at the very start of the stream.
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if byte == bom[bomCandidate.count] {
                    bomCandidate.append(byte)
                    if bomCandidate.count == bom.count { atStart = false; bomCandidate = [] }
                    continue
                }
                atStart = false
                let held = bomCandidate
                bomCandidate = []
                for heldByte in held { try consume(heldByte, into: &events) }
            }
            try consume(byte, into: &events)
        }
        return events
    }

    private mutating func consume(_ byte: UInt8, into events: inout [ServerSentEvent]) throws(ServerSentEventError) {
        switch byte {
        case UInt8(ascii: "\n") where afterCR:
            afterCR = false  // the LF of a CRLF: the line already ended at the CR
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            afterCR = byte == UInt8(ascii: "\r")
            if let event = endLine() { events.append(event) }
        default:
            afterCR = false
            line.append(byte)
            guard line.count + data.count + eventType.count + pendingIDBytes <= maximumEventBytes else {
                throw ServerSentEventError("an event of more than \(maximumEventBytes) bytes")
            }
        }
    }

    /// Processes the line just ended; returns the event it dispatched, if any.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        if line.first == UInt8(ascii: ":") {  // a comment
            var text = line.dropFirst()
            if text.first == UInt8(ascii: " ") { text = text.dropFirst() }
            comments.append(String(decoding: text, as: UTF8.self))
            return nil
        }
        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "event":
            eventType = Array(value)
        case "data":
            data.append(contentsOf: value)
            data.append(UInt8(ascii: "\n"))
        case "id":
            if !value.contains(0) {
                pendingID = String(decoding: value, as: UTF8.self)
                pendingIDBytes = value.count
            }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                reconnectionTime = Int(String(decoding: value, as: UTF8.self)) ?? Int.max
            }
        default:
            break  // unknown fields are ignored
        }
        return nil
    }

    /// An empty line: the last event id takes the pending id; an event with data is dispatched.
    private mutating func dispatch() -> ServerSentEvent? {
        lastEventID = pendingID
        pendingIDBytes = 0
        defer {
            data.removeAll(keepingCapacity: true)
            eventType.removeAll(keepingCapacity: true)
        }
        guard !data.isEmpty else { return nil }
        data.removeLast()  // the LF after the last data line
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        return ServerSentEvent(type: type, data: String(decoding: data, as: UTF8.self), lastEventID: lastEventID)
    }
}
