#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A compact JWS (RFC 7515 §7.1) decoded under Keybound's policy, before any key is involved.
///
/// Decoding checks, in order: size; exactly three segments with a non-empty header; the header
/// (canonical base64url, UTF-8, a strict JSON object, no forbidden parameters, an accepted `alg`,
/// `kid` and `typ` of the right type); then canonical base64url payload and signature. The payload
/// may be any bytes here, none included (RFC 7515 allows an empty payload); a token's claims scan
/// checks its UTF-8 and refuses an empty one (`malformed_claims`).
struct CompactJWS {
    let header: JSONObject
    let payload: [UInt8]
    let signature: [UInt8]
    /// The number of leading bytes of the received token that form the signing input (`header.payload`).
    let signingInputLength: Int
    let algorithm: JWSAlgorithm
    let keyID: String?
    let type: String?

    /// Header parameters Keybound never uses to find a key and never issues: a token carrying one is refused.
    static let forbiddenHeaderParameters = ["jwk", "jku", "x5u", "x5c", "crit", "b64", "zip"]

    static func decode(
        _ token: UnsafeRawBufferPointer, maximumSize: Int, headerCache: HeaderCache? = nil
    ) -> Result<CompactJWS, TokenRejection> {
        guard token.count <= maximumSize else {
            return .failure(TokenRejection(.tokenTooLarge, "the token is \(token.count) bytes; the limit is \(maximumSize)"))
        }
        // Two dots, found in one bounded pass: a dot flood costs no more than its length.
        var firstDot = -1, secondDot = -1, dotCount = 0
        if let base = token.baseAddress {
            var searchFrom = 0
            while searchFrom < token.count, let found = memchr(base + searchFrom, Int32(UInt8(ascii: ".")), token.count - searchFrom) {
                let index = base.distance(to: UnsafeRawPointer(found))
                dotCount += 1
                if dotCount == 1 { firstDot = index } else if dotCount == 2 { secondDot = index } else if dotCount > 4 { break }
                searchFrom = index + 1
            }
        }
        guard dotCount == 2 else {
            let reason = dotCount == 4
                ? "five segments: a JWE is not accepted where a signed token is expected"
                : "a compact JWS has exactly three segments, this token has \(dotCount > 4 ? "more than five" : String(dotCount + 1))"
            return .failure(TokenRejection(.malformedToken, reason))
        }
        let headerPart = UnsafeRawBufferPointer(rebasing: token[0..<firstDot])
        let payloadPart = UnsafeRawBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])
        let signaturePart = UnsafeRawBufferPointer(rebasing: token[(secondDot + 1)...])
        guard !headerPart.isEmpty else {
            return .failure(TokenRejection(.malformedToken, "the header segment must not be empty"))
        }
        // The header is decoded and judged first, so a token announcing an unencoded payload
        // (`b64`, RFC 7797) or another extension is refused for that, whatever its payload holds.
        let decodedHeader: DecodedHeader
        if let cached = headerCache?.lookup(headerPart) {
            decodedHeader = cached
        } else {
            switch DecodedHeader.decode(headerPart) {
            case .success(let decoded):
                decodedHeader = decoded
                headerCache?.insert(decoded, for: headerPart)
            case .failure(let rejection):
                return .failure(rejection)
            }
        }
        guard let payload = Base64URL.decode(payloadPart) else {
            return .failure(TokenRejection(.malformedToken, "the payload segment is not canonical unpadded base64url"))
        }
        guard let signature = Base64URL.decode(signaturePart) else {
            return .failure(TokenRejection(.malformedToken, "the signature segment is not canonical unpadded base64url"))
        }
        return .success(CompactJWS(header: decodedHeader.header, payload: payload, signature: signature, signingInputLength: secondDot,
                                   algorithm: decodedHeader.algorithm, keyID: decodedHeader.keyID, type: decodedHeader.type))
    }
}

/// A protected header that passed Keybound's header policy.
struct DecodedHeader: Sendable {
    let header: JSONObject
    let algorithm: JWSAlgorithm
    let keyID: String?
    let type: String?

    /// Decodes and judges a header segment: canonical base64url, UTF-8, a strict JSON object,
    /// no forbidden parameter, an accepted `alg`, and `kid`/`typ` strings.
    static func decode(_ segment: UnsafeRawBufferPointer) -> Result<DecodedHeader, TokenRejection> {
        guard let headerBytes = Base64URL.decode(segment) else {
            return .failure(TokenRejection(.malformedToken, "the header segment is not canonical unpadded base64url"))
        }
        guard UTF8Validation.isValid(headerBytes) else {
            return .failure(TokenRejection(.malformedToken, "the header is not valid UTF-8"))
        }
        let header: JSONObject
        do {
            header = try StrictJSONParser.parseObject(headerBytes)
        } catch {
            return .failure(TokenRejection(.malformedHeader, "the header is not a strict JSON object: \(error)"))
        }
        return judge(header)
    }

    private static func judge(_ header: JSONObject) -> Result<DecodedHeader, TokenRejection> {
        for member in header.members where CompactJWS.forbiddenHeaderParameters.contains(where: { member.name.isExactly($0) }) {
            let name = member.name
            return .failure(TokenRejection(.forbiddenHeader, "header parameter '\(name)' is not accepted: Keybound finds keys only in its trust store and supports no extensions"))
        }
        guard let algorithmValue = header["alg"] else {
            return .failure(TokenRejection(.unsupportedAlgorithm, "the header has no alg"))
        }
        guard case .string(let algorithmName) = algorithmValue else {
            return .failure(TokenRejection(.unsupportedAlgorithm, "alg must be a string, not \(algorithmValue.typeName)"))
        }
        guard let algorithm = JWSAlgorithm(headerValue: algorithmName) else {
            return .failure(TokenRejection(.unsupportedAlgorithm, "alg '\(algorithmName.prefix(32))' is not accepted (ES256, ES384, EdDSA, RS256, PS256 are)"))
        }
        var keyID: String? = nil
        if let value = header["kid"] {
            guard case .string(let string) = value else {
                return .failure(TokenRejection(.malformedHeader, "kid must be a string, not \(value.typeName)"))
            }
            keyID = string.isEmpty ? nil : string
        }
        var type: String? = nil
        if let value = header["typ"] {
            guard case .string(let string) = value else {
                return .failure(TokenRejection(.malformedHeader, "typ must be a string, not \(value.typeName)"))
            }
            type = string
        }
        return .success(DecodedHeader(header: header, algorithm: algorithm, keyID: keyID, type: type))
    }
}
