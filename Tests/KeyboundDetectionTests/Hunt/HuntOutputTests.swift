import Foundation
import Keybound
import KeyboundAudit
import KeyboundHunt
import Testing

/// Values from the log are the attacker's: every format must carry them inert.
@Suite("Hunt: report formats escape what the log holds")
struct HuntOutputTests {
    static let hostileClient = "\"><script>alert(1)</script>"
    static let hostileMailbox = "<img src=x onerror=alert(2)>|*[x](javascript:alert(3))*@contoso.example"

    /// The scenario plus one forged, accepted record full of markup.
    static func hostileReport() async throws -> (HuntScenario, HuntReport) {
        let scenario = try await HuntScenario()
        let key = try await scenario.manager.signingKey(issuerID: "contoso")
        let claims = JSONObject([
            "iss": .string(scenario.url("contoso")), "sub": .string("x"), "aud": .string("api://mail"), "jti": .string("j</title><svg onload=alert(4)>"),
            "client_id": .string(hostileClient), "tid": .string("contoso-tid"), "iat": .number(HuntScenario.day(69, 1).timeIntervalSince1970),
            "exp": .number(HuntScenario.day(69, 2).timeIntervalSince1970),
        ])
        let token = HuntScenario.Token(claims: claims, keyID: key.keyID, digest: HuntScenario.hex(JSONWriter().bytes(.object(claims))))
        try scenario.access(HuntScenario.day(69, 1.5), token, mailbox: hostileMailbox, items: ["<b>item</b>"])
        return (scenario, try await Hunt.run(try scenario.configuration()))
    }

    @Test("HTML: no markup from the log survives; the SVG chart is inline with escaped tooltips")
    func html() async throws {
        let (scenario, report) = try await Self.hostileReport()
        defer { scenario.remove() }
        #expect(report.findings.contains { $0.record.clientID == Self.hostileClient && $0.kind == .forgedToken })
        let html = report.html
        for raw in ["<script", "<img", "<svg onload", "</title><svg"] { #expect(!html.contains(raw), "\(raw)") }
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(html.components(separatedBy: "<svg").count == 2)
        #expect(html.contains("Content-Security-Policy"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
    }

    @Test("Markdown: table cells cannot be broken, links and HTML stay text")
    func markdown() async throws {
        let (scenario, report) = try await Self.hostileReport()
        defer { scenario.remove() }
        let markdown = report.markdown
        #expect(!markdown.contains("<script") && !markdown.contains("<img"))
        #expect(!markdown.contains("[x](javascript"))
        #expect(markdown.contains("&lt;img src=x onerror=alert(2)&gt;"))
        let row = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("|") && $0.contains("onerror") })
        // Every literal '|' inside a value is escaped, so the row keeps its columns.
        #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 9)
    }

    @Test("JSON: the text of every format is the report's, and JSON round-trips through a strict parser")
    func json() async throws {
        let (scenario, report) = try await Self.hostileReport()
        defer { scenario.remove() }
        let rendered = report.rendered(as: .json)
        let parsed = try StrictJSONParser.parseObject(Array(rendered.utf8))
        #expect(parsed == report.jsonObject)
        #expect(report.rendered(as: .text).contains(Self.hostileClient))
    }

    @Test("Every format names a finding's tenant as (tid of issuer); a refused token's tenant is marked as only claimed")
    func tenantIsIssuerAndTenantID() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let refused = try #require(report.findings.first { $0.record.verdict == .denied && $0.record.tenant != nil })
        let served = try #require(report.findings.first { $0.record.verdict == .allowed && $0.record.tenant != nil })
        let refusedText = "\(refused.record.tenant!) of \(refused.record.tokenIssuer!) (claimed)"
        let servedText = "\(served.record.tenant!) of \(served.record.tokenIssuer!)"
        for (format, text) in [("text", report.text), ("markdown", report.markdown)] {
            #expect(text.contains(refusedText), "\(format)")
            #expect(text.contains(servedText), "\(format)")
        }
    }
}
