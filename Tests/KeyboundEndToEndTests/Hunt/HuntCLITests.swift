import Foundation
import KeyboundHunt
import Testing

/// `keybound hunt` as a user runs it (the built binary): exit codes, every format, `--out`.
@Suite("Hunt: keybound hunt command line")
struct HuntCLITests {
    static func hunt(_ scenario: HuntScenario, _ arguments: [String]) async throws -> CLIRunner.Outcome {
        try await CLIRunner.run(["hunt", "--data", scenario.directory.path, "--now", "1806048000"] + arguments)
    }

    @Test("exit 1 with findings; JSON has stable fields, every expected finding and the leads labelled as leads")
    func json() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let outcome = try await Self.hunt(scenario, ["--format", "json"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let object = try #require(outcome.json)
        #expect(object["report"] as? String == "keybound-hunt" && object["version"] as? Int == 1)
        #expect(object["verdict"] as? String == "malicious")
        #expect(object["generated_at"] as? String == "2027-03-26T08:00:00.000Z")
        let findings = try #require(object["findings"] as? [[String: Any]])
        let found = Set(findings.compactMap { finding -> HuntScenario.Expected? in
            guard let kind = (finding["kind"] as? String).flatMap(HuntFinding.Kind.init(rawValue:)),
                  let sequence = finding["sequence"] as? Int else { return nil }
            return HuntScenario.Expected(kind: kind, sequence: Int64(sequence))
        })
        #expect(found == scenario.expectedFindings)
        let first = try #require(findings.first)
        for field in ["kind", "category", "sequence", "time", "accepted", "reason_code", "reason", "record", "token_in_ledger"] {
            #expect(first[field] != nil, "\(field)")
        }
        let counts = try #require(object["counts"] as? [String: Int])
        #expect(counts["forged_token"] == scenario.expectedFindings.filter { $0.kind == .forgedToken }.count)
        let leads = try #require(object["leads"] as? [[String: Any]])
        #expect(leads.count == scenario.legitimateLeads.count + scenario.attackLeads.count)
        #expect(leads.allSatisfy { $0["lead"] as? Bool == true && $0["label"] as? String == "lead, not a verdict" })
        let timeline = try #require(object["timeline"] as? [[String: Any]])
        let times = timeline.compactMap { $0["time"] as? String }
        #expect(times == times.sorted() && times.count == timeline.count)
        #expect(timeline.contains { $0["lane"] as? String == "key_event" && ($0["title"] as? String)?.contains("revoked") == true })
    }

    @Test("text, markdown and html all carry the verdict, the findings and the leads as leads")
    func formats() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let text = try await Self.hunt(scenario, [])
        #expect(text.status == 1)
        #expect(text.stdout.contains("VERDICT: MALICIOUS ACTIVITY FOUND"))
        #expect(text.stdout.contains("Forged token (") && text.stdout.contains("leads, not verdicts"))
        let markdown = try await Self.hunt(scenario, ["--format", "markdown"])
        #expect(markdown.status == 1)
        for heading in ["# Keybound hunt report", "## Verdict", "## Timeline", "## Forged token", "## Cross-issuer key",
                        "## Revoked key used", "## First-time access (leads, not verdicts)"] {
            #expect(markdown.stdout.contains(heading), "\(heading)")
        }
        #expect(markdown.stdout.contains("backup-app"))
        let html = try await Self.hunt(scenario, ["--format", "html"])
        #expect(html.status == 1)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<svg") && html.stdout.contains("</svg>"))
        #expect(!html.stdout.contains("<script") && !html.stdout.contains("src=\"http") && !html.stdout.contains("href=\"http"))
        #expect(html.stdout.contains("lead, not a verdict"))
    }

    @Test("exit 0 when nothing malicious is in the window, even with leads; --out writes the report and prints one line")
    func cleanWindowAndOut() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let clean = try await Self.hunt(scenario, ["--until", "2027-03-06", "--format", "json"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.json?["verdict"] as? String == "clean")
        #expect((clean.json?["leads"] as? [Any])?.isEmpty == false)
        let file = scenario.directory.appendingPathComponent("report.html")
        let written = try await Self.hunt(scenario, ["--format", "html", "--out", file.path, "--since", "1804752000"])
        #expect(written.status == 1)
        #expect(written.stdout.hasPrefix("hunt: MALICIOUS ACTIVITY FOUND") && written.stdout.contains(file.path))
        #expect(try String(contentsOf: file, encoding: .utf8).contains("<svg"))
    }

    @Test("--issuer and --kid trace a key; the issuer may be given by id")
    func keyTrace() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let outcome = try await Self.hunt(scenario, ["--issuer", "consumers", "--kid=\(scenario.stolenKeyID)", "--format", "json"])
        let use = try #require(outcome.json?["key_use"] as? [String: Any])
        #expect(use["issuer_id"] as? String == "consumers" && use["key_state"] as? String == "revoked")
        let total = try #require(use["total"] as? [String: Any])
        #expect(total["total"] as? Int == scenario.recordsByKeyID[scenario.stolenKeyID]?.count)
        let text = try await Self.hunt(scenario, ["--issuer", scenario.url("consumers"), "--kid=\(scenario.stolenKeyID)"])
        #expect(text.stdout.contains("Key \(scenario.stolenKeyID) of consumers (state revoked"))
    }

    @Test("exit 2 for bad flags and unreadable stores, one line on stderr")
    func usageErrors() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let empty = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        for arguments in [["--issuer", "consumers"], ["--kid", "abc"], ["--since", "yesterday"], ["--since", "2027-03-01", "--until", "2027-02-01"],
                          ["--format", "pdf"], ["--lookback-days", "0"], ["--lookback-days", "-3"], ["--max-listed", "-1"]] {
            let outcome = try await Self.hunt(scenario, arguments)
            #expect(outcome.status == 2, "\(arguments)")
            #expect(outcome.stdout.isEmpty && !outcome.stderr.isEmpty, "\(arguments)")
        }
        let missing = try await CLIRunner.run(["hunt", "--data", empty.path])
        #expect(missing.status == 2 && missing.stderr.contains("no key store"))
        #expect(!FileManager.default.fileExists(atPath: empty.appendingPathComponent("keybound.sqlite").path))
        let noAudit = try await CLIRunner.run(["hunt", "--data", scenario.directory.path, "--audit", empty.path])
        #expect(noAudit.status == 2 && noAudit.stderr.contains("no audit log"))
        let unwritable = try await Self.hunt(scenario, ["--out", "/nonexistent-dir/report.txt"])
        #expect(unwritable.status == 2)
    }
}
