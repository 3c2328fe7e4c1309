import Foundation
import Keybound

/// The issuance feed an issuer's discovery document advertises: `issuance_feed_endpoint` (the
/// authenticated token-event stream) and `issuance_status_endpoint` (the status endpoint). Both
/// must be on the issuer's own origin, or the document is refused.
///
/// Once a validator has seen an issuer advertise its feed, it keeps the first one seen: a later
/// document that drops it, which a provider would never serve, cannot turn the check off.
public struct AdvertisedIssuanceFeed: Sendable, Equatable {
    /// `issuance_feed_endpoint`.
    public let feed: URL
    /// `issuance_status_endpoint`, if advertised.
    public let status: URL?

    /// The feed `discovery` advertises for `issuerURL`; `nil` if it advertises none. Throws when an
    /// advertised endpoint is not a URL on the issuer's origin, or not https where that is required.
    static func parse(_ discovery: JSONObject, issuerURL: String, insecureHTTP: Bool) throws(RemoteTrustError) -> AdvertisedIssuanceFeed? {
        guard let feedValue = discovery["issuance_feed_endpoint"] else { return nil }
        let origin = URL(string: issuerURL).flatMap(TransportRule.origin)
        func endpoint(_ value: JSONValue, _ name: String) throws(RemoteTrustError) -> URL {
            guard case .string(let text) = value, let url = URL(string: text), url.host != nil,
                  TransportRule.isAllowed(url, insecureHTTP: insecureHTTP), let origin, TransportRule.origin(url) == origin else {
                throw RemoteTrustError("the \(name) of '\(issuerURL)' is not a URL on the issuer's origin")
            }
            return url
        }
        let feed = try endpoint(feedValue, "issuance_feed_endpoint")
        let status = try discovery["issuance_status_endpoint"].map { value throws(RemoteTrustError) in
            try endpoint(value, "issuance_status_endpoint")
        }
        return AdvertisedIssuanceFeed(feed: feed, status: status)
    }
}
