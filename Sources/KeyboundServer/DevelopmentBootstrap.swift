import Foundation
import Keybound
import KeyboundStore

/// The development setup `keybound serve` creates on an empty store: two separate identity
/// systems, like MSA and an Azure AD tenant, each with its own keys.
public enum DevelopmentBootstrap {
    /// The consumer realm's id.
    public static let consumerIssuerID = "consumers"
    /// The enterprise tenant's id.
    public static let tenantIssuerID = "contoso"
    /// The enterprise tenant's tenant id (`tid`).
    public static let tenantID = "6f2c3b1e-8a4d-4c2f-9a51-0d7e2b9c4a11"

    /// Creates the two issuers if the store has no issuer at all. Returns the issuers created.
    @discardableResult
    public static func run(manager: KeyManager, configuration: ServerConfiguration, now: Date) throws(StoreError) -> [IssuerRecord] {
        guard try manager.issuers().isEmpty else { return [] }
        let issuers = [
            IssuerRecord(id: consumerIssuerID, url: configuration.issuerURL(consumerIssuerID), kind: .consumer,
                         algorithm: .es256, createdAt: now),
            IssuerRecord(id: tenantIssuerID, url: configuration.issuerURL(tenantIssuerID), kind: .tenant,
                         tenantID: tenantID, algorithm: .es256, createdAt: now),
        ]
        for issuer in issuers { try manager.createIssuer(issuer, actor: "bootstrap") }
        return issuers
    }
}
