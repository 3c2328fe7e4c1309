import Foundation
import Keybound

/// Reading files and tokens for commands, with errors that name the file.
enum CLIInput {
    static func readFile(_ path: String, what: String) throws(CLIError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(what) '\(path)'")
        }
        return Array(data)
    }

    /// A token argument; `-` reads standard input and drops one trailing newline.
    static func readToken(_ argument: String) throws(CLIError) -> String {
        guard argument == "-" else { return argument }
        let data = FileHandle.standardInput.readDataToEndOfFile()
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
