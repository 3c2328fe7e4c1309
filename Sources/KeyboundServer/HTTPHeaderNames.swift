import HTTPTypes

extension HTTPField.Name {
    /// `Pragma: no-cache`, which RFC 6749 §5.1 asks for beside `Cache-Control: no-store`.
    static let pragma = HTTPField.Name("Pragma")!
    /// `X-Frame-Options`.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Last-Event-ID`, sent by a reconnecting Server-Sent Events client.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `Forwarded` (RFC 7239).
    static let forwarded = HTTPField.Name("Forwarded")!
    /// `X-Forwarded-For`.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
