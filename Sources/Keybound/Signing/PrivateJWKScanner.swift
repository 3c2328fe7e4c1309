/// Reads private members out of a sealed private JWK in place, so that they never become a
/// `String` or a parsed JSON value on the heap.
///
/// It reads what the key store seals: the compact JSON that Keybound's own `JSONWriter` writes,
/// a flat object of string members. A member is `"name":"value"` right after `{` or `,`; inside a
/// string, a quote is always escaped, so that pattern cannot start inside another member's value.
enum PrivateJWKScanner {
    /// The byte range of member `name`'s string value (without quotes) in `json`, or `nil`.
    static func stringValue(of name: String, in json: UnsafeRawBufferPointer) -> Range<Int>? {
        let pattern = Array("\"\(name)\":\"".utf8)
        guard json.count > pattern.count else { return nil }
        var index = 1
        while index + pattern.count <= json.count {
            let before = json[index - 1]
            if before == UInt8(ascii: "{") || before == UInt8(ascii: ",") {
                var matches = true
                for offset in 0..<pattern.count where json[index + offset] != pattern[offset] {
                    matches = false
                    break
                }
                if matches {
                    let start = index + pattern.count
                    var end = start
                    while end < json.count, json[end] != UInt8(ascii: "\"") { end += 1 }
                    return end < json.count ? start..<end : nil
                }
            }
            index += 1
        }
        return nil
    }
}
