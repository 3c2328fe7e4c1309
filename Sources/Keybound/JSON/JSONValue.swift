/// A JSON value as Keybound's strict reader produces it.
///
/// Numbers are always finite; object members keep their order and their names are unique.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A finite number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object(JSONObject)

    /// The string, if this value is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if this value is one.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The object, if this value is one.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The array, if this value is one.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The Boolean, if this value is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON object whose member names are unique and whose order is kept.
///
/// Names are compared by their exact code points (no Unicode normalization), as RFC 8259 does.
public struct JSONObject: Sendable, Equatable {
    /// One member of an object.
    public struct Member: Sendable, Equatable {
        /// The member name.
        public var name: String
        /// The member value.
        public var value: JSONValue

        /// Creates a member.
        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }
    }

    /// The members in document order.
    public private(set) var members: [Member]

    /// An empty object.
    public init() { self.members = [] }

    /// Members in the given order; where a name repeats, the last value wins.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        self.members = []
        for (name, value) in pairs { self[name] = value }
    }

    /// Creates an object from members the caller guarantees have unique names.
    init(uniqueMembers: [Member]) { self.members = uniqueMembers }

    /// The value of the member `name`, or `nil`. Setting `nil` removes the member.
    public subscript(name: String) -> JSONValue? {
        get {
            for member in members where member.name.isExactly(name) { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.name.isExactly(name) }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(name: name, value: newValue))
            }
        }
    }

    /// The member names in document order.
    public var names: [String] { members.map(\.name) }

    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }
}
