// The dump test's control: a process that loads Keybound's stored keys the ordinary way.
//
// It reads a JSON file (the path is its one argument) of private JWKs, the key-encryption key and
// the audit signing key's seed, all as text, builds each through the same swift-crypto types that
// Keybound uses, signs (or seals) with each, prints "ready" and waits to be dumped and killed. It
// links none of Keybound's protections, so a scan of its dump must find every key: that is what
// shows the scan of `keybound serve`'s dump could find them too.
import Crypto
import Foundation
import _CryptoExtras

func base64URLDecoded(_ text: String) -> Data {
    var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while standard.count % 4 != 0 { standard += "=" }
    guard let data = Data(base64Encoded: standard) else { fatalError("not base64url: \(text.prefix(8))…") }
    return data
}

guard CommandLine.arguments.count == 2,
      let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1]))) as? [String: Any],
      let keys = object["keys"] as? [[String: String]], let kekText = object["kek"] as? String, let auditText = object["audit"] as? String
else {
    FileHandle.standardError.write(Data("usage: KeyboundDumpFixture <keys.json>\n".utf8))
    exit(2)
}

let probe = Data("a token's signing input".utf8)
var held: [Any] = [object]
for jwk in keys {
    let d = base64URLDecoded(jwk["d"] ?? "")
    switch (jwk["kty"], jwk["crv"]) {
    case ("EC", "P-256"):
        let key = try P256.Signing.PrivateKey(rawRepresentation: d)
        held += [key, try key.signature(for: probe)]
    case ("EC", "P-384"):
        let key = try P384.Signing.PrivateKey(rawRepresentation: d)
        held += [key, try key.signature(for: probe)]
    case ("OKP", "Ed25519"):
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: d)
        held += [key, try key.signature(for: probe)]
    case ("RSA", _):
        let key = try _RSA.Signing.PrivateKey(n: base64URLDecoded(jwk["n"]!), e: base64URLDecoded(jwk["e"]!), d: d,
                                               p: base64URLDecoded(jwk["p"]!), q: base64URLDecoded(jwk["q"]!))
        let padding: _RSA.Signing.Padding = jwk["alg"] == "PS256" ? .PSS : .insecurePKCS1v1_5
        held += [key, try key.signature(for: SHA256.hash(data: probe), padding: padding)]
    default:
        FileHandle.standardError.write(Data("unknown key type \(jwk["kty"] ?? "?")\n".utf8))
        exit(2)
    }
}
let kek = SymmetricKey(data: Data(base64Encoded: kekText)!)
held += [kek, try AES.GCM.seal(probe, using: kek)]
let audit = try Curve25519.Signing.PrivateKey(rawRepresentation: Data(base64Encoded: auditText)!)
held += [audit, try audit.signature(for: probe)]

FileHandle.standardOutput.write(Data("ready: \(held.count) objects\n".utf8))
while true { sleep(60) }
