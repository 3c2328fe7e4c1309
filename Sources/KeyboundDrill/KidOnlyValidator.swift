import Foundation
import Keybound

/// **The anti-pattern, written only to show what it accepts.** Never use anything like it.
///
/// This is the validator of the 2023 incident, reduced to its mistake: every issuer's keys merged
/// into one key set (like the "common" metadata endpoint), the key found by `kid` alone, then only
/// the signature and the expiry checked. Nothing asks whether the key belongs to the issuer the
/// token names, or whether the token was ever issued. It is internal to the drill and is not API.
struct KidOnlyValidator {
    private var keysByID: [String: JWK] = [:]

    /// Loads the keys of every key set, by `kid`. A later key with the same `kid` silently replaces
    /// an earlier one, as in the libraries that work this way.
    init(keySets: [JSONObject]) {
        for keySet in keySets {
            for value in keySet["keys"]?.arrayValue ?? [] {
                guard let object = value.objectValue, let key = try? JWK(jsonObject: object), let kid = key.keyID else { continue }
                keysByID[kid] = key
            }
        }
    }

    enum Verdict {
        case accepted
        case rejected(String)

        var isAccepted: Bool { if case .accepted = self { true } else { false } }
    }

    /// Finds the key by the header's `kid`, checks the signature with it, and checks `exp`.
    func validate(_ token: String, now: Date) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])), let payloadBytes = Base64URL.decode(String(parts[1])),
              let signature = Base64URL.decode(String(parts[2])),
              let header = try? StrictJSONParser.parseObject(headerBytes), let claims = try? StrictJSONParser.parseObject(payloadBytes) else {
            return .rejected("malformed")
        }
        guard let kid = header["kid"]?.stringValue, let key = keysByID[kid] else { return .rejected("no key with this kid") }
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        guard key.publicKey.isValidSignature(signature, for: signingInput, algorithm: key.algorithm) else {
            return .rejected("bad signature")
        }
        guard let expires = claims["exp"]?.numberValue, expires > now.timeIntervalSince1970 else { return .rejected("expired") }
        return .accepted
    }
}
