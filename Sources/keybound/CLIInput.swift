import Foundation
import Keybound

/// Reading files and tokens for commands, with errors that name the file.
enum CLIInput {
    /// Key, claims and token inputs are small; anything larger is refused before it is read.
    static let maximumInputSize = 1 << 20

    static func readFile(_ path: String, what: String) throws(CLIError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("cannot read \(what) '\(path)'")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumInputSize + 1) ?? Data()
        } catch {
            throw CLIError("cannot read \(what) '\(path)'")
        }
        guard data.count <= maximumInputSize else {
            throw CLIError("\(what) '\(path)' is larger than \(maximumInputSize) bytes")
        }
        return Array(data)
    }

    /// A `--now` value: a finite UNIX time within the range of NumericDates.
    static func validateUnixTime(_ value: Double, option: String) throws(CLIError) {
        guard value.isFinite, abs(value) <= 9_007_199_254_740_992 else {
            throw CLIError("\(option) must be a finite UNIX time in seconds")
        }
    }

    /// A token argument; `-` reads standard input and drops one trailing newline.
    static func readToken(_ argument: String) throws(CLIError) -> String {
        guard argument == "-" else { return argument }
        let data = (try? FileHandle.standardInput.read(upToCount: maximumInputSize + 1)) ?? Data()
        guard data.count <= maximumInputSize else { throw CLIError("the token on standard input is larger than \(maximumInputSize) bytes") }
        var bytes = Array(data)
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        // Invalid UTF-8 becomes U+FFFD, which no base64url segment contains: the verifier refuses it.
        return String(decoding: bytes, as: UTF8.self)
    }

    static func jsonObject(_ bytes: [UInt8], what: String) throws(CLIError) -> JSONObject {
        do {
            return try StrictJSONParser.parseObject(bytes)
        } catch {
            throw CLIError("\(what) is not a valid JSON object: \(error)")
        }
    }
}

/// Writing JSON results to stdout, one document per line.
enum CLIOutput {
    static func printJSON(_ object: JSONObject) {
        print(JSONWriter().string(.object(object)))
    }

    static func rejection(_ rejection: TokenRejection) -> JSONObject {
        var object = JSONObject(["valid": .bool(false), "error": .string(rejection.code.rawValue), "reason": .string(rejection.reason)])
        if let keyIssuer = rejection.keyIssuer { object["key_issuer"] = .string(keyIssuer) }
        return object
    }
}
