/// A compact JWS (RFC 7515 §7.1) decoded under Keybound's policy, before any key is involved.
///
/// Decoding checks, in order: size; exactly three non-empty-header-and-payload segments; the header
/// (canonical base64url, UTF-8, a strict JSON object, no forbidden parameters, an accepted `alg`,
/// `kid` and `typ` of the right type); then canonical base64url payload and signature, and a UTF-8
/// payload for JWTs.
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
        _ token: UnsafeRawBufferPointer, maximumSize: Int, payloadMustBeUTF8: Bool
    ) -> Result<CompactJWS, TokenRejection> {
        guard token.count <= maximumSize else {
            return .failure(TokenRejection(.tokenTooLarge, "the token is \(token.count) bytes; the limit is \(maximumSize)"))
        }
        var dots: [Int] = []
        for index in token.indices where token[index] == UInt8(ascii: ".") {
            dots.append(index)
            if dots.count > 4 { break }
        }
        guard dots.count == 2 else {
            let reason = dots.count == 4
                ? "five segments: a JWE is not accepted where a signed token is expected"
                : "a compact JWS has exactly three segments, this token has \(dots.count + 1)"
            return .failure(TokenRejection(.malformedToken, reason))
        }
        let headerPart = UnsafeRawBufferPointer(rebasing: token[0..<dots[0]])
        let payloadPart = UnsafeRawBufferPointer(rebasing: token[(dots[0] + 1)..<dots[1]])
        let signaturePart = UnsafeRawBufferPointer(rebasing: token[(dots[1] + 1)...])
        guard !headerPart.isEmpty, !payloadPart.isEmpty else {
            return .failure(TokenRejection(.malformedToken, "the header and payload segments must not be empty"))
        }
        // The header is decoded and judged first, so a token announcing an unencoded payload
        // (`b64`, RFC 7797) or another extension is refused for that, whatever its payload holds.
        guard let headerBytes = Base64URL.decode(headerPart) else {
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
        let fields: (algorithm: JWSAlgorithm, keyID: String?, type: String?)
        switch checkHeader(header) {
        case .success(let checked): fields = checked
        case .failure(let rejection): return .failure(rejection)
        }
        guard let payload = Base64URL.decode(payloadPart) else {
            return .failure(TokenRejection(.malformedToken, "the payload segment is not canonical unpadded base64url"))
        }
        guard let signature = Base64URL.decode(signaturePart) else {
            return .failure(TokenRejection(.malformedToken, "the signature segment is not canonical unpadded base64url"))
        }
        if payloadMustBeUTF8, !UTF8Validation.isValid(payload) {
            return .failure(TokenRejection(.malformedToken, "the payload is not valid UTF-8"))
        }
        return .success(CompactJWS(header: header, payload: payload, signature: signature, signingInputLength: dots[1],
                                   algorithm: fields.algorithm, keyID: fields.keyID, type: fields.type))
    }

    private static func checkHeader(_ header: JSONObject) -> Result<(algorithm: JWSAlgorithm, keyID: String?, type: String?), TokenRejection> {
        for name in forbiddenHeaderParameters where header[name] != nil {
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
        return .success((algorithm, keyID, type))
    }
}
