import KeyboundHummingbird
import KeyboundValidation
import Testing

/// The WHATWG `text/event-stream` parser, against inputs that trip naive parsers.
@Suite("Resource side: push channel, SSE parser")
struct ServerSentEventParserTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        /// The stream, in the chunks it arrives in.
        let chunks: [String]
        let events: [ServerSentEvent]
        var lastEventID = ""
        var retry: Int?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "one event, LF", chunks: ["id: 7\nevent: revoked\ndata: {\"a\":1}\n\n"],
            events: [.init(type: "revoked", data: "{\"a\":1}", lastEventID: "7")], lastEventID: "7"),
        Row(name: "CRLF line ends", chunks: ["id: 7\r\nevent: revoked\r\ndata: x\r\n\r\n"],
            events: [.init(type: "revoked", data: "x", lastEventID: "7")], lastEventID: "7"),
        Row(name: "CR line ends", chunks: ["id: 7\revent: revoked\rdata: x\r\r"],
            events: [.init(type: "revoked", data: "x", lastEventID: "7")], lastEventID: "7"),
        Row(name: "CRLF split between chunks is one line end, not two", chunks: ["data: a\r", "\ndata: b\r", "\n\r", "\n"],
            events: [.init(data: "a\nb")]),
        Row(name: "an event split byte by byte", chunks: "id: 9\nevent: created\ndata: {\"kid\":\"k\"}\n\n".map { String($0) },
            events: [.init(type: "created", data: "{\"kid\":\"k\"}", lastEventID: "9")], lastEventID: "9"),
        Row(name: "comments and keep-alives dispatch nothing", chunks: [": keep-alive\n\n", ":\n", ": x\ndata: y\n\n"],
            events: [.init(data: "y")]),
        Row(name: "multi-line data joined with LF; one leading space removed, not two", chunks: ["data:a\ndata:  b\ndata\n\n"],
            events: [.init(data: "a\n b\n")]),
        Row(name: "id without data updates the last event id but dispatches nothing", chunks: ["id: 41\n\n", "data: z\n\n"],
            events: [.init(data: "z", lastEventID: "41")], lastEventID: "41"),
        Row(name: "empty id resets the last event id", chunks: ["id: 5\ndata: a\n\nid\ndata: b\n\n"],
            events: [.init(data: "a", lastEventID: "5"), .init(data: "b", lastEventID: "")]),
        Row(name: "id with NUL is ignored", chunks: ["id: 5\n\nid: 6\u{0}\ndata: a\n\n"],
            events: [.init(data: "a", lastEventID: "5")], lastEventID: "5"),
        Row(name: "event type does not leak into the next event", chunks: ["event: revoked\ndata: a\n\ndata: b\n\n"],
            events: [.init(type: "revoked", data: "a"), .init(data: "b")]),
        Row(name: "incomplete event at the end is not dispatched", chunks: ["data: a\n\ndata: b\n"],
            events: [.init(data: "a")]),
        Row(name: "retry: digits only", chunks: ["retry: 1500\n\nretry: 2x\n\nretry: -1\n\n"],
            events: [], retry: 1500),
        Row(name: "unknown fields are ignored; field names are case-sensitive", chunks: ["foo: bar\nDATA: x\ndata: y\n\n"],
            events: [.init(data: "y")]),
        Row(name: "a leading BOM is skipped, once", chunks: ["\u{FEFF}data: a\n\n\u{FEFF}data: b\n\n"], events: [.init(data: "a")]),
    ]

    static func run(_ chunks: [[UInt8]], maximum: Int = 64 * 1024) throws -> (events: [ServerSentEvent], parser: ServerSentEventParser) {
        var parser = ServerSentEventParser(maximumEventBytes: maximum)
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += try parser.feed(chunk) }
        return (events, parser)
    }

    @Test("tricky inputs", arguments: rows)
    func table(_ row: Row) throws {
        let (events, parser) = try Self.run(row.chunks.map { Array($0.utf8) })
        #expect(events == row.events)
        #expect(parser.lastEventID == row.lastEventID)
        #expect(parser.reconnectionTime == row.retry)
    }

    @Test("byte-level splits: a BOM and a multi-byte character cut in the middle, CR and LF in separate chunks")
    func byteSplits() throws {
        let stream = Array("\u{FEFF}id: 3\r\ndata: caf\u{E9} \u{1F511}\r\n\r\n".utf8)
        for cut in 1..<stream.count {
            let (events, parser) = try Self.run([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(events == [.init(data: "caf\u{E9} \u{1F511}", lastEventID: "3")], "cut at \(cut)")
            #expect(parser.lastEventID == "3")
        }
        let (bytewise, _) = try Self.run(stream.map { [$0] })
        #expect(bytewise == [.init(data: "caf\u{E9} \u{1F511}", lastEventID: "3")])
    }

    @Test("comments are reported per chunk, without the colon and one space, and dispatch nothing")
    func comments() throws {
        var parser = ServerSentEventParser()
        let first = try parser.feed(Array(": caught up\n\nid: 1\ndata: x\n\n:keep-alive\n".utf8))
        #expect(first.map(\.data) == ["x"])
        #expect(parser.comments == ["caught up", "keep-alive"])
        _ = try parser.feed(Array("data: y\n\n".utf8))
        #expect(parser.comments.isEmpty, "only the last chunk's comments")
        _ = try parser.feed(Array(":  two spaces\n".utf8))
        #expect(parser.comments == [" two spaces"])
    }

    @Test("invalid UTF-8 becomes U+FFFD instead of failing the stream")
    func invalidUTF8() throws {
        let (events, _) = try Self.run([Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)])
        #expect(events == [.init(data: "a\u{FFFD}b")])
    }

    @Test("an oversized event throws, whether in one line, many data lines, or a line without end")
    func oversized() throws {
        let limit = 1_024
        #expect(throws: ServerSentEventError.self) { try Self.run([Array(("data: " + String(repeating: "x", count: 2_000) + "\n\n").utf8)], maximum: limit) }
        #expect(throws: ServerSentEventError.self) {
            try Self.run((0..<100).map { _ in Array("data: 0123456789abcdef\n".utf8) }, maximum: limit)
        }
        #expect(throws: ServerSentEventError.self) { try Self.run([[UInt8]](repeating: Array("yyyyyyyy".utf8), count: 200), maximum: limit) }
        // Just under the limit, and many small events adding up to far more, are fine.
        let (events, _) = try Self.run([Array(("data: " + String(repeating: "x", count: 1_000) + "\n\n").utf8)], maximum: limit)
        #expect(events.first?.data.count == 1_000)
        let (many, _) = try Self.run((0..<1_000).map { _ in Array("data: 0123456789abcdef\n\n".utf8) }, maximum: limit)
        #expect(many.count == 1_000)
    }
}
